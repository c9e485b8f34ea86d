# The lab's JupyterHub configuration. Every setting an operator chooses comes from the
# jupyterhub role's variables through labforge-hub.json, rendered beside this file.
import json
import os
import ssl
import sys

import labforge_auth
import nativeauthenticator

c = get_config()  # noqa: F821 (injected by traitlets)
with open("/etc/jupyterhub/labforge-hub.json", encoding="utf-8") as settings_file:
    lab = json.load(settings_file)

# The hub and its proxy are two containers sharing one network namespace on the lab's overlay
# network, where every user's server is reached by its swarm service name and reaches the hub
# as lab['hub_name']. The proxy's API listens on loopback there, out of students' reach. The
# proxy runs on its own, so that restarting or upgrading the hub leaves users' servers and
# their routes running.
c.JupyterHub.hub_bind_url = "http://0.0.0.0:8081"
# The proxy reaches the hub on loopback (so the hub can tell what came through the proxy, see
# labforge_auth); users' servers by its name on the overlay.
c.JupyterHub.hub_connect_url = "http://127.0.0.1:8081"
c.Spawner.hub_connect_url = f"http://{lab['hub_name']}:8081"
c.JupyterHub.cleanup_servers = False
c.JupyterHub.cleanup_proxy = False
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
with open("/etc/jupyterhub/secrets/proxy_token", encoding="utf-8") as token_file:
    c.ConfigurableHTTPProxy.auth_token = token_file.read().strip()
if not c.ConfigurableHTTPProxy.auth_token:
    sys.exit("labforge: /etc/labforge-hub/secrets/proxy_token is empty: re-run site.yml to make a new one")
c.JupyterHub.cookie_secret_file = "/etc/jupyterhub/secrets/cookie_secret"
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.pid_file = ""

c.JupyterHub.spawner_class = "labforge_spawner.LabSwarmSpawner"
c.SwarmSpawner.image = lab["user_image"]
if lab["user_profiles"]:
    c.SwarmSpawner.allowed_images = {p["name"]: p["image"] for p in lab["user_profiles"]}
c.SwarmSpawner.network_name = lab["network"]
c.SwarmSpawner.use_internal_hostname = True
c.SwarmSpawner.extra_endpoint_spec = {"mode": "dnsrr"}
c.SwarmSpawner.prefix = lab["service_prefix"]  # labforge-user-firewall guards these services
c.SwarmSpawner.mem_limit = lab["mem_limit"]
c.SwarmSpawner.cpu_limit = lab["cpu_limit"]
c.SwarmSpawner.mem_guarantee = lab["mem_reservation"]
# A student's server runs as the image's user (jovyan) with no capabilities at all (no sudo,
# no setuid program gains any) and a bounded number of processes and threads (no fork bomb
# takes the node).
c.LabSwarmSpawner.pids_limit = lab["pids_limit"]
c.LabSwarmSpawner.cap_drop = ["ALL"]
c.SwarmSpawner.pull_policy = "skip"  # the role pulls the lab's images on every node
c.Spawner.start_timeout = lab["start_timeout"]
c.Spawner.http_timeout = lab["http_timeout"]
c.Spawner.default_url = "/lab"
c.LabSwarmSpawner.node_constraints = lab["node_constraints"]
c.LabSwarmSpawner.home_volume_prefix = lab["home_volume_prefix"]

c.Authenticator.admin_users = set(lab["admin_users"])
# The client's address in the hub's log and lockout is one a student cannot forge: the proxy's
# view of it, or the HTTPS front door's with the front door's secret header.
labforge_auth.vouch_for_client_addresses("/etc/jupyterhub/secrets/front_door_token")
# Every authenticator is wrapped by labforge_auth's lockout (lab["lockout"]), which logs each
# refused attempt with the user name and the client's address.
c.JupyterHub.authenticator_class = labforge_auth.with_lockout(lab["authenticator"])
c.LoginLockout.allowed_failed_logins = lab["lockout"]["allowed_failed_logins"]
c.LoginLockout.lockout_seconds = lab["lockout"]["seconds"]
c.LoginLockout.failed_logins_per_address = lab["lockout"]["per_address"]
if lab["authenticator"] == "native":
    # Every setting is explicit: some of NativeAuthenticator's documented defaults
    # (minimum length 1) are only documentation tags. Its own lockout is off: the wrapper's
    # is the one that logs.
    c.JupyterHub.template_paths = [os.path.join(os.path.dirname(nativeauthenticator.__file__), "templates")]
    c.NativeAuthenticator.enable_signup = True
    c.NativeAuthenticator.open_signup = lab["native"]["open_signup"]
    c.NativeAuthenticator.ask_email_on_signup = False
    c.NativeAuthenticator.minimum_password_length = lab["native"]["minimum_password_length"]
    c.NativeAuthenticator.check_common_password = lab["native"]["check_common_password"]
    c.NativeAuthenticator.allowed_failed_logins = 0
    # Who may log in is NativeAuthenticator's approval, not an allow list.
    c.Authenticator.allow_all = True
elif lab["authenticator"] == "pam":
    # The hub host's accounts: its passwd, group and shadow files are mounted read-only.
    c.PAMAuthenticator.open_sessions = False  # no login sessions inside the hub's container
    c.PAMAuthenticator.check_account = True  # expired or locked accounts are refused
    if lab["pam_allowed_groups"]:
        c.PAMAuthenticator.allowed_groups = set(lab["pam_allowed_groups"])
    else:
        c.Authenticator.allow_all = True
elif lab["authenticator"] == "ldap":
    ldap = lab["ldap"]
    c.LDAPAuthenticator.server_address = ldap["server"]
    c.LDAPAuthenticator.server_port = ldap["port"]
    # The password never crosses in clear: TLS from the start (ldaps) or before the bind.
    c.LDAPAuthenticator.tls_strategy = "on_connect" if ldap["tls"] == "ldaps" else "before_bind"
    tls = {"validate": ssl.CERT_REQUIRED}
    if ldap["ca_certificate"]:
        tls["ca_certs_file"] = "/etc/jupyterhub/ldap-ca.pem"
    c.LDAPAuthenticator.tls_kwargs = tls
    if ldap["bind_dn_templates"]:
        c.LDAPAuthenticator.bind_dn_template = ldap["bind_dn_templates"]
    else:
        c.LDAPAuthenticator.lookup_dn = True
        c.LDAPAuthenticator.user_search_base = ldap["user_search_base"]
        c.LDAPAuthenticator.user_attribute = ldap["user_attribute"]
        c.LDAPAuthenticator.lookup_dn_user_dn_attribute = ldap["user_attribute"]
        if ldap["bind_dn"]:
            c.LDAPAuthenticator.lookup_dn_search_user = ldap["bind_dn"]
            with open("/etc/jupyterhub/secrets/ldap_bind_password", encoding="utf-8") as password_file:
                c.LDAPAuthenticator.lookup_dn_search_password = password_file.read().rstrip("\n")
    if ldap["allowed_groups"]:
        c.LDAPAuthenticator.allowed_groups = ldap["allowed_groups"]
    else:
        c.Authenticator.allow_all = True

# JupyterLab calls no one: its announcements plugin (the news prompt, news and update checks)
# is disabled by a page_config.json that the swarm hands every server (a swarm config, on
# JUPYTER_CONFIG_PATH), and the server fetches no news, checks no update, asks no extension
# index.
c.LabSwarmSpawner.page_config = lab["page_config"]
c.Spawner.environment = {"JUPYTER_CONFIG_PATH": "/etc/labforge-jupyter"}
c.Spawner.args = [
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
]

# The culler stops idle servers (their swarm service goes; the home volume stays). It holds
# only the scopes it needs.
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={lab['idle_timeout']}",
            f"--cull-every={lab['cull_every']}",
            f"--max-age={lab['max_age']}",
        ],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
