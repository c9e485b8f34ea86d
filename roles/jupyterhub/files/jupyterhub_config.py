# The lab's JupyterHub configuration. Every setting an operator chooses comes from the
# jupyterhub role's variables through labforge-hub.json, rendered beside this file.
import json
import os
import sys

import nativeauthenticator

c = get_config()  # noqa: F821 (injected by traitlets)
with open("/etc/jupyterhub/labforge-hub.json", encoding="utf-8") as settings_file:
    lab = json.load(settings_file)

# The hub and its proxy are two containers on the lab's overlay network, where every user's
# server is reached by its swarm service name. The proxy runs on its own, so that restarting
# or upgrading the hub leaves users' servers and their routes running.
c.JupyterHub.hub_bind_url = "http://0.0.0.0:8081"
c.JupyterHub.hub_connect_url = f"http://{lab['hub_name']}:8081"
c.JupyterHub.cleanup_servers = False
c.JupyterHub.cleanup_proxy = False
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://{lab['proxy_name']}:8001"
with open("/etc/jupyterhub/secrets/proxy_token", encoding="utf-8") as token_file:
    c.ConfigurableHTTPProxy.auth_token = token_file.read().strip()
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
c.SwarmSpawner.prefix = "labforge-user"
c.SwarmSpawner.mem_limit = lab["mem_limit"]
c.SwarmSpawner.cpu_limit = lab["cpu_limit"]
c.SwarmSpawner.pull_policy = "skip"  # the role pulls the lab's images on every node
c.Spawner.start_timeout = lab["start_timeout"]
c.Spawner.http_timeout = lab["http_timeout"]
c.Spawner.default_url = "/lab"
c.LabSwarmSpawner.node_constraints = lab["node_constraints"]
c.LabSwarmSpawner.home_volume_prefix = lab["home_volume_prefix"]

c.Authenticator.admin_users = set(lab["admin_users"])
if lab["authenticator"] == "native":
    # Every setting is explicit: some of NativeAuthenticator's documented defaults
    # (minimum length 1, lockout after failures, 600 s) are only documentation tags.
    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.JupyterHub.template_paths = [os.path.join(os.path.dirname(nativeauthenticator.__file__), "templates")]
    c.NativeAuthenticator.enable_signup = True
    c.NativeAuthenticator.open_signup = lab["native"]["open_signup"]
    c.NativeAuthenticator.ask_email_on_signup = False
    c.NativeAuthenticator.minimum_password_length = lab["native"]["minimum_password_length"]
    c.NativeAuthenticator.check_common_password = lab["native"]["check_common_password"]
    c.NativeAuthenticator.allowed_failed_logins = lab["native"]["allowed_failed_logins"]
    c.NativeAuthenticator.seconds_before_next_try = lab["native"]["seconds_before_next_try"]
    # Who may log in is NativeAuthenticator's approval, not an allow list.
    c.Authenticator.allow_all = True
elif lab["authenticator"] == "pam":
    # The hub host's accounts: its passwd, group and shadow files are mounted read-only.
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False  # no login sessions inside the hub's container
    c.PAMAuthenticator.check_account = True  # expired or locked accounts are refused
    if lab["pam_allowed_groups"]:
        c.PAMAuthenticator.allowed_groups = set(lab["pam_allowed_groups"])
    else:
        c.Authenticator.allow_all = True

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
