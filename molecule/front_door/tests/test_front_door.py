"""The lab's front door through site.yml: the hub behind Debian's nginx with a certificate of
the lab CA, and LDAP logins against a real OpenLDAP server (prepare.yml). What a student
would lose is checked: a browser that trusts only the lab CA logs in with the directory's
password, JupyterLab's launcher renders, a notebook runs a cell; passwords and cookies never
cross in clear; a user outside the course's group, a wrong password and a locked-out name are
refused; the operator's own certificate is checked before any change.

The tests run in file order, each on the lab the previous one left (every test takes the
`host` fixture). Traffic goes from this machine to the hub host container only; the lab's
name, lab.test, is resolved to that container by the tests themselves (curl --resolve, the
browser's host rules, a resolver patch for requests).
"""

import datetime
import html
import json
import os
import re
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import pytest
import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from labforge_browser import LabBrowser
from labforge_hub import HubSession
from labforge_testlib import run_playbook

testinfra_hosts = ["ansible://hub"]

HUB_HOST = "labforge-door-m1"
NAME = "lab.test"
BASE = f"https://{NAME}"
PROJECT = Path(__file__).resolve().parents[3]
LDAP = yaml.safe_load((PROJECT / "molecule/shared/vars/ldap.yml").read_text())
PASSWORDS = {user: entry["password"] for user, entry in LDAP["ldap_test_users"].items()}
ARTEFACTS = Path(os.environ.get("LABFORGE_RESULTS", PROJECT / ".rig/results")) / "artefacts" / "front_door"
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"))
LAB_CA = EPHEMERAL / f"{HUB_HOST}-lab-ca.pem"


@pytest.fixture(scope="module")
def address() -> str:
    outer = docker.from_env().containers.get(HUB_HOST)
    return outer.attrs["NetworkSettings"]["IPAddress"] or next(
        iter(outer.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]


@pytest.fixture(scope="module", autouse=True)
def resolve_lab_name(address):
    """lab.test -> the hub host container, for requests and websocket-client in this process."""
    original = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return original(address if host == NAME else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    yield
    socket.getaddrinfo = original


def curl(address: str, *args: str, port: int = 443) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "20",
                           "--resolve", f"{NAME}:{port}:{address}", *args],
                          capture_output=True, text=True, timeout=60)


def browser(ca: Path | None, address: str) -> LabBrowser:
    return LabBrowser(str(ca) if ca else None, {NAME: address}, ARTEFACTS)


def test_plain_http_redirects_to_https_which_sends_hsts(host, address):
    redirect = curl(address, "--output", "/dev/null", "--write-out", "%{http_code} %{redirect_url}",
                    f"http://{NAME}/hub/login?next=x", port=80)
    assert redirect.stdout == f"301 {BASE}/hub/login?next=x", redirect
    headers = curl(address, "--cacert", str(LAB_CA), "--head", f"{BASE}/hub/login")
    assert headers.returncode == 0, headers.stderr
    assert "strict-transport-security: max-age=31536000" in headers.stdout.lower(), headers.stdout


def test_tls_1_1_is_refused_while_1_2_and_1_3_verify_against_the_lab_ca(host, address):
    # The client may offer TLS 1.1 (security level 0), so only the server can refuse it.
    old = curl(address, "--cacert", str(LAB_CA), "--tlsv1.1", "--tls-max", "1.1",
               "--ciphers", "DEFAULT@SECLEVEL=0", f"{BASE}/hub/login")
    assert old.returncode != 0 and "protocol version" in old.stderr, old
    for version in ("1.2", "1.3"):
        answer = curl(address, "--cacert", str(LAB_CA), f"--tlsv{version}", "--tls-max", version,
                      "--output", "/dev/null", "--write-out", "%{http_code}", f"{BASE}/hub/login")
        assert answer.stdout == "200", (version, answer)


def test_the_hub_and_its_proxy_are_reached_only_through_https(host, address):
    listeners = host.check_output("ss -Htln 'sport = :8000'")
    assert listeners and all("127.0.0.1:8000" in line for line in listeners.splitlines()), listeners
    with pytest.raises(OSError):
        socket.create_connection((address, 8000), timeout=5).close()


def test_a_browser_without_the_lab_ca_sees_a_certificate_error(host, address):
    with browser(None, address) as page:
        page.open(f"{BASE}/hub/login")
        assert page.cert_error(), "an untrusted certificate was accepted"


def test_a_directory_user_logs_in_in_a_browser_and_runs_a_cell(host, address):
    with browser(LAB_CA, address) as page:
        page.hub_login(BASE, "ann", PASSWORDS["ann"])
        page.wait_launcher()
        shot = page.screenshot(ARTEFACTS / "launcher.png")
        assert shot.stat().st_size > 10_000
        assert page.run_in_new_notebook("print(6 * 7)") == "42"
        # JupyterLab asks about news once its layout is restored, well before a cell has run.
        assert "Jupyter news" not in page.driver.page_source, "JupyterLab asks about news"
    # The notebook JupyterLab made is in ann's home volume, at its root.
    mountpoint = host.check_output("docker volume inspect --format '{{.Mountpoint}}' labforge-home-ann")
    assert host.file(f"{mountpoint}/Untitled.ipynb").exists


def test_outside_the_group_or_with_a_wrong_password_the_hub_refuses(host, address):
    with browser(LAB_CA, address) as page:
        for user, password in (("eve", PASSWORDS["eve"]), ("bob", "not-bobs-password")):
            page.hub_login(BASE, user, password)
            assert "Invalid username or password" in (page.hub_error() or ""), (user, page.driver.current_url)
    assert "labforge-user-eve" not in host.check_output("docker service ls --format '{{.Name}}'")


def test_cookies_are_secure_kernels_run_through_https_and_jupyterlab_calls_no_one(host, address):
    ann = HubSession(BASE, "ann", PASSWORDS["ann"], ca=str(LAB_CA))
    assert ann.login()
    hub_cookies = [c for c in ann.http.cookies if c.name.startswith("jupyterhub")]
    assert hub_cookies and all(c.secure for c in hub_cookies), [(c.name, c.secure) for c in hub_cookies]
    ann.start()
    lab = ann.open_lab()
    assert lab.status_code == 200
    page_config = json.loads(html.unescape(re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', lab.text, re.S).group(1)))
    assert "@jupyterlab/apputils-extension:announcements" in page_config["disabledExtensions"]
    assert page_config["news"] == {"disabled": True}
    assert page_config["extensionManager"]["name"] == "read-only", "the extension manager asks PyPI"
    assert ann.run(ann.start_kernel(), "print(6 * 7)") == "42\n"


def test_students_servers_answer_through_https_soon_after_the_proxy_restarts_or_crashes(host):
    """The hub restarts with its proxy (it lives in the proxy's network namespace) and puts
    every route back as it starts, instead of at its next periodic check (five minutes)."""
    ann = HubSession(BASE, "ann", PASSWORDS["ann"], ca=str(LAB_CA))
    assert ann.login()
    ann.start()
    for fault in ("systemctl restart labforge-jupyterhub-proxy", "docker kill labforge-hub-proxy"):
        host.check_output(fault)
        began = time.monotonic()
        while True:
            try:
                if ann.server_api("GET", "/status").status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() - began < 30, f"ann's server did not answer through HTTPS 30 s after `{fault}`"
            time.sleep(0.5)


def test_failed_logins_lock_a_name_out_and_are_logged_with_its_address(host, address):
    bob = HubSession(BASE, "bob", PASSWORDS["bob"], ca=str(LAB_CA))
    for _ in range(3):  # jupyterhub_allowed_failed_logins
        assert not bob.login("not-bobs-password")
    assert not bob.login(), "the right password let bob in during the lockout"
    # This machine, as the hub host sees it: its default gateway.
    source = host.check_output("ip route show default").split()[2]
    journal = host.check_output("journalctl --no-pager -u labforge-jupyterhub --since '-10 min'")
    assert f"labforge login lockout: 'bob' from {source} refused" in journal, journal[-2000:]


def test_the_directory_password_is_root_only_and_never_shown(host):
    secret = host.file("/etc/labforge-hub/secrets/ldap_bind_password")
    assert secret.user == "root" and secret.mode == 0o600
    value = LDAP["ldap_test_reader_password"]
    assert secret.content_string == value
    seen = host.check_output("ps auxww; docker inspect labforge-hub; journalctl --no-pager")
    assert value not in seen
    files = host.check_output(f"grep -rlF -- '{value}' /etc /var/lib/labforge-hub /var/log /run || true")
    assert files.split() == ["/etc/labforge-hub/secrets/ldap_bind_password"], files


def test_check_mode_on_the_converged_lab_changes_nothing(host):
    result = run_playbook("converge.yml", None, "--check", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(HUB_HOST)["changed"] == 0, result.output[-3000:]


def test_a_class_of_40_behind_one_address_logs_in_at_once(host):
    """A room behind one NAT: 40 logins from this machine's one address, all at once."""
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda _: HubSession(BASE, "ann", PASSWORDS["ann"], ca=str(LAB_CA)).login_status(),
                                range(40)))
    assert time.monotonic() - began < 60
    assert answers == [302] * 40, sorted(answers)  # 302: in, to the spawn page; nginx's refusal is 429


def test_a_verbose_run_shows_no_join_token_password_secret_or_private_key(host):
    result = run_playbook("converge.yml", None, "-vvv", "--tags", "swarm,hub")
    assert result.returncode == 0, result.output[-3000:]
    tls, secrets = "/etc/labforge-hub/tls", "/etc/labforge-hub/secrets"
    shown = {
        "the swarm's manager join token": host.check_output("docker swarm join-token -q manager"),
        "the swarm's worker join token": host.check_output("docker swarm join-token -q worker"),
        "the directory's service account password": LDAP["ldap_test_reader_password"],
        **{name: host.check_output(f"cat {secrets}/{name}") for name in ("cookie_secret", "proxy_token", "front_door_token")},
        # Any line of a private key's body is enough to betray it.
        **{f"{key} (line {n})": line for key in ("lab-ca.key", "server.key")
           for n, line in enumerate(host.check_output(f"cat {tls}/{key}").splitlines()) if "-----" not in line},
    }
    assert all(shown.values())
    assert not [name for name, value in shown.items() if value in result.output], \
        [name for name, value in shown.items() if value in result.output]


def test_a_rerun_reissues_the_lab_certificate_before_it_expires(host, address):
    def serial() -> str:
        return host.check_output("openssl x509 -noout -serial -in /etc/labforge-hub/tls/server.pem")

    before = serial()
    # The certificate (365 days) now expires within the renewal window.
    result = run_playbook("converge.yml", {"hub_https_certificate_days": 400, "hub_https_renew_days": 399},
                          "--tags", "hub")
    assert result.returncode == 0, result.output[-3000:]
    assert serial() != before, "the certificate was not reissued"
    days = host.check_output("openssl x509 -noout -enddate -in /etc/labforge-hub/tls/server.pem")
    assert curl(address, "--cacert", str(LAB_CA), "--output", "/dev/null", "--write-out", "%{http_code}",
                f"{BASE}/hub/login").stdout == "200", days


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem(obj) -> str:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM).decode()
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _certificate(key, issuer_key, issuer_name, subject: str, names: list[str], days: int, ca: bool = False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=2))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def university() -> dict:
    """A university CA, and certificates from it: for lab.test, for another name, expired."""
    ca_key = _key()
    ca = _certificate(ca_key, ca_key, None, "Test University CA", [], 3650, ca=True)
    key = _key()
    issue = lambda names, days: _pem(_certificate(key, ca_key, ca.subject, names[0], names, days))  # noqa: E731
    ca_file = EPHEMERAL / "university-ca.pem"
    ca_file.write_text(_pem(ca))
    # "good" expires in 20 days: it is served, with a warning to renew it.
    # A 1024-bit RSA key passes the role's checks, but OpenSSL (security level 2) refuses it
    # when nginx loads it: a change that fails after it was written.
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak = _pem(_certificate(weak_key, ca_key, ca.subject, NAME, [NAME], 200))
    return {"ca": ca_file, "key": _pem(key), "other_key": _pem(_key()), "good": issue([NAME], 20),
            "other_name": issue(["elsewhere.test"], 200), "expired": issue([NAME], -1),
            "weak": weak, "weak_key": _pem(weak_key)}


def _served(host) -> str:
    return host.check_output("cat /etc/nginx/conf.d/labforge-hub.conf /etc/labforge-hub/tls/server.pem | sha256sum")


@pytest.mark.parametrize(("certificate", "key", "message"), [
    ("good", "other_key", "hub_https_private_key does not match hub_https_certificate"),
    ("expired", "key", "it has expired"),
    ("other_name", "key", "it does not cover lab.test"),
])
def test_a_bad_operator_certificate_is_refused_before_any_change(host, university, certificate, key, message):
    before = _served(host)
    result = run_playbook("converge.yml", {"hub_https_certificate": university[certificate],
                                           "hub_https_private_key": university[key]}, "--tags", "hub_https_validate")
    assert result.returncode != 0 and message in " ".join(result.output.split()), result.output[-3000:]
    assert "PRIVATE KEY" not in result.output, "the key was printed"
    assert _served(host) == before


def test_a_certificate_nginx_cannot_load_is_rolled_back_to_the_one_served_before(host, address, university):
    before = _served(host)
    result = run_playbook("converge.yml", {"hub_https_certificate": university["weak"],
                                           "hub_https_private_key": university["weak_key"]}, "--tags", "hub")
    output = " ".join(result.output.split())
    assert result.returncode != 0 and "The site and certificate were put back" in output, result.output[-3000:]
    assert "PRIVATE KEY" not in result.output, "the key was printed"
    assert _served(host) == before
    assert not host.check_output("ls /etc/labforge-hub/tls | grep '~$' || true"), "backup copies were left"
    answer = curl(address, "--cacert", str(LAB_CA), "--output", "/dev/null", "--write-out", "%{http_code}",
                  f"{BASE}/hub/login")
    assert answer.stdout == "200", answer


def test_the_operators_certificate_and_ldaps_with_a_dn_template_serve_the_lab(host, address, university):
    result = run_playbook("converge.yml", {
        "hub_https_certificate": university["good"], "hub_https_private_key": university["key"],
        "jupyterhub_ldap_tls": "ldaps", "jupyterhub_ldap_user_search_base": "", "jupyterhub_ldap_bind_dn": "",
        "jupyterhub_ldap_bind_password": "",
        "jupyterhub_ldap_bind_dn_templates": ["uid={username},ou=people,dc=lab,dc=test"]})
    assert result.returncode == 0, result.output[-3000:]
    assert "WARNING: hub_https_certificate expires on" in " ".join(result.output.split()), result.output[-3000:]
    answer = curl(address, "--cacert", str(university["ca"]), "--output", "/dev/null", "--write-out", "%{http_code}",
                  f"{BASE}/hub/login")
    assert answer.stdout == "200", answer
    assert curl(address, "--cacert", str(LAB_CA), f"{BASE}/hub/login").returncode != 0, "still the lab CA's certificate"
    ann = HubSession(BASE, "ann", PASSWORDS["ann"], ca=str(university["ca"]))
    deadline = time.monotonic() + 60
    while not ann.login():  # the hub restarts with its new settings
        assert time.monotonic() < deadline, "ann cannot log in over LDAPS with the DN template"
        time.sleep(3)
    assert not host.file("/etc/labforge-hub/secrets/ldap_bind_password").exists
