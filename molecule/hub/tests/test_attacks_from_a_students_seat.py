"""What a student can try against the lab from their own server, run the way a student would:
as code in a real student's kernel, or through the hub's own pages. Each test was seen to fail
against the code before its fix (the commit that added this file says which).

This file runs before test_hub.py (file order) on the freshly converged lab, with its own
students: mallory attacks, vic is her classmate. Every test takes the `host` fixture, so that
pytest keeps file order.
"""

import json
import os
import textwrap
import time

import pytest
from labforge_hub import ADMIN, ADMIN_PASSWORD, HubSession
from labforge_testlib import run_playbook

testinfra_hosts = ["ansible://hub"]

REGISTRY = os.environ.get("LABFORGE_TEST_REGISTRY", "127.0.0.1:5000")
PASSWORD = "mallory's own password"
SECRETS = "/etc/labforge-hub/secrets"

# Logs in to the hub at `base` from the kernel, with the hub's XSRF cookie, as a browser would.
KERNEL_LOGIN = """
import http.cookiejar, socket, urllib.error, urllib.parse, urllib.request
def login(base, name, password, headers=None):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(urllib.request.Request(base + "/hub/login", headers=headers or {}), timeout=30).read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    form = urllib.parse.urlencode({"username": name, "password": password, "_xsrf": xsrf}).encode()
    try:
        return opener.open(urllib.request.Request(base + "/hub/login", data=form, headers=headers or {}), timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code
def my_address():
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(("labforge-hub", 8081))
    return probe.getsockname()[0]
"""


class Student(HubSession):
    kernel_id = ""

    def kernel(self, code: str, timeout: float = 180) -> str:
        """Run code in the student's kernel, as a cell in JupyterLab; what it printed."""
        if not self.kernel_id:
            self.kernel_id = self.start_kernel()
        return self.run(self.kernel_id, KERNEL_LOGIN + textwrap.dedent(code), timeout)


@pytest.fixture(scope="module")
def admin(base_url) -> HubSession:
    session = HubSession(base_url, ADMIN, ADMIN_PASSWORD)
    assert session.login(), "the admin's password from the inventory does not log in"
    return session


def enrol(base_url, admin, name: str, password: str = PASSWORD) -> Student:
    student = Student(base_url, name, password)
    assert student.signup().status_code == 200
    if not student.login():  # (an approval toggles: approve only who is not in yet)
        admin.authorize(name)
        assert student.login(), f"{name} could not log in once approved"
    student.start()
    return student


@pytest.fixture(scope="module")
def mallory(base_url, admin) -> Student:
    return enrol(base_url, admin, "mallory")


@pytest.fixture(scope="module")
def vic(base_url, admin) -> Student:
    return enrol(base_url, admin, "vic", "vic's own password")


def hub_log(host, since: str) -> str:
    return host.check_output(f"journalctl --no-pager -u labforge-jupyterhub --since '{since}'")


def test_no_one_can_sign_up_under_an_admins_name(host, base_url):
    thief = HubSession(base_url, ADMIN, "a thief's password")
    thief.signup()
    assert not thief.login(), "a sign-up under the admin's name logged in"
    assert HubSession(base_url, ADMIN, ADMIN_PASSWORD).login(), "the admin's own password no longer logs in"


def test_the_proxys_api_is_out_of_a_students_reach(host, mallory):
    printed = mallory.kernel("""
        for name, port in (("labforge-hub", 8081), ("labforge-hub", 8001), ("labforge-hub-proxy", 8001)):
            try:
                socket.create_connection((name, port), timeout=5).close()
                print(name, port, "open")
            except OSError as error:
                print(name, port, "closed:", error)
    """)
    assert "labforge-hub 8081 open" in printed, printed  # the hub's API: the server needs it
    assert "8001 open" not in printed, printed


def reach(student: Student, targets: dict[str, tuple[str, int]]) -> dict[str, str]:
    """From the student's kernel: 'open' or why not, for each (host, port)."""
    printed = student.kernel(f"""
        for label, (name, port) in {targets!r}.items():
            try:
                socket.create_connection((name, port), timeout=5).close()
                print(label, "open")
            except OSError as error:
                print(label, type(error).__name__)
    """)
    return dict(line.split(" ", 1) for line in printed.strip().splitlines())


def test_a_students_server_reaches_the_hub_and_nothing_else_of_the_lab(host, mallory):
    node = host.check_output("docker info --format '{{.Swarm.NodeAddr}}'")
    registry = REGISTRY.rsplit(":", 1)
    targets = {"hub": ("labforge-hub", 8081), "swarm": (node, 2377), "engine-gossip": (node, 7946),
               "registry": (registry[0], int(registry[1])), "front": ("labforge-hub-proxy", 8000)}
    reached = reach(mallory, targets)
    assert reached.pop("hub") == "open", reached
    assert all(state != "open" for state in reached.values()), reached
    # The registry stays allowed until the last test's run of the role puts the default back.
    allowed = run_playbook("converge.yml", {"jupyterhub_user_allowed_networks": [f"{registry[0]}/32"]}, "--tags", "hub")
    assert allowed.returncode == 0, allowed.output[-3000:]
    deadline = time.monotonic() + 30
    while reach(mallory, {"registry": targets["registry"]})["registry"] != "open":
        assert time.monotonic() < deadline, "the network the operator allowed stays closed to a running server"
        time.sleep(3)
    assert reach(mallory, {"swarm": targets["swarm"]})["swarm"] != "open"


def test_the_address_in_the_hubs_log_is_the_students_own_not_a_forged_one(host, mallory):
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    printed = mallory.kernel("""
        forged = {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9"}
        print("direct", login("http://labforge-hub:8081", "forger-direct", "wrong", forged))
        try:  # the proxy's public port: closed to students' servers by their firewall
            print("proxy", login("http://labforge-hub-proxy:8000", "forger-proxy", "wrong", forged))
        except OSError as error:
            print("proxy", error)
        print("address", my_address())
    """)
    address = printed.split("address")[-1].strip()
    log = hub_log(host, since)
    attempts = [line for line in log.splitlines() if "labforge failed login: 'forger-" in line]
    assert attempts, (printed, log)
    assert all(address in line for line in attempts), (address, attempts)
    assert "203.0.113.9" not in log, "the hub logged the forged address"


def test_a_student_cannot_lock_the_teacher_out(host, base_url, mallory):
    printed = mallory.kernel("""
        print([login("http://labforge-hub:8081", "teacher", f"guess {i}") for i in range(10)])
    """)
    assert "200" in printed, printed  # the hub answered each guess with its login form again
    assert HubSession(base_url, ADMIN, ADMIN_PASSWORD).login(), \
        "a student's ten wrong guesses locked the teacher out"


def test_a_students_server_has_no_capabilities_no_sudo_and_a_reservation(host, mallory):
    printed = mallory.kernel("""
        import subprocess
        status = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
        print("bounding", status["CapBnd"].strip(), "effective", status["CapEff"].strip())
        try:
            print("sudo", subprocess.run(["sudo", "-n", "id", "-u"], capture_output=True, timeout=30).returncode)
        except FileNotFoundError:
            print("sudo", "absent")
    """)
    assert "bounding 0000000000000000 effective 0000000000000000" in printed, printed
    assert "sudo 0" not in printed, printed  # (the rig's test image has no sudo; docker-stacks' has)
    spec = json.loads(host.check_output("docker service inspect labforge-user-mallory"))[0]["Spec"]
    assert spec["TaskTemplate"]["Resources"]["Reservations"]["MemoryBytes"] == 128 * 1024 ** 2


def test_a_fork_bomb_and_a_memory_hog_in_one_server_leave_the_node_and_the_others_answering(host, mallory, vic):
    vic.save_notebook("vic.ipynb", "vic's work")
    printed = mallory.kernel("""
        import subprocess, sys
        bomb = '''
        import os, time
        for i in range(1500):
            try:
                if os.fork() == 0:
                    time.sleep(40)
                    os._exit(0)
            except OSError as error:
                print("stopped after", i, "forks:", error)
                break
        else:
            print("forked all 1500")
        '''
        print(subprocess.run([sys.executable, "-c", bomb], capture_output=True, text=True, timeout=120).stdout)
    """)
    assert "stopped after" in printed and "forked all" not in printed, printed
    assert vic.read_notebook("vic.ipynb") == "vic's work", "a classmate's fork bomb stopped vic's server"
    assert host.run("timeout 30 docker node ls").rc == 0, "the node's engine stopped answering"
    time.sleep(45)  # the bomb's processes end; the kernel can start processes again
    hog = mallory.kernel("""
        import subprocess, sys
        print("hog", subprocess.run([sys.executable, "-c", "x = bytearray(2 * 1024 ** 3); x[::4096] = b'1' * len(x[::4096])"],
                                    capture_output=True, timeout=120).returncode)
    """)
    assert "hog -9" in hog, hog  # killed by the kernel's OOM killer at the server's memory limit
    assert vic.read_notebook("vic.ipynb") == "vic's work", "a classmate's memory hog stopped vic's server"
    assert host.run("timeout 30 docker node ls").rc == 0


def test_a_student_trying_many_names_is_slowed(host, mallory):
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    mallory.kernel("""
        for i in range(45):
            login("http://labforge-hub:8081", f"guess{i}", "wrong")
    """)
    log = hub_log(host, since)
    checked = [line for line in log.splitlines() if "labforge failed login: 'guess" in line]
    assert "slowed" in log and len(checked) < 45, f"{len(checked)} of 45 guesses were checked"


def test_a_deleted_students_home_does_not_pass_to_the_next_account_of_that_name(host, base_url, admin, vic):
    vic.stop()
    assert admin.api("DELETE", "/users/vic").status_code == 204
    newcomer = enrol(base_url, admin, "vic", "the new vic's password")
    assert newcomer.read_notebook("vic.ipynb") is None, "the new vic found the deleted vic's notebook"
    newcomer.stop()


def test_an_empty_proxy_token_stops_the_proxy_and_a_run_makes_a_new_one_without_printing_any_secret(
        host, base_url, mallory):
    host.check_output(f": > {SECRETS}/proxy_token && systemctl restart labforge-jupyterhub-proxy")
    deadline = time.monotonic() + 60
    while "empty or missing" not in host.run("journalctl --no-pager -u labforge-jupyterhub-proxy -n 50").stdout:
        assert time.monotonic() < deadline, "the proxy started with an empty token"
        time.sleep(2)
    result = run_playbook("converge.yml", None, "-vvv", "--tags", "swarm,hub")
    assert result.returncode == 0, result.output[-3000:]
    secrets = {
        "the swarm's manager join token": host.check_output("docker swarm join-token -q manager"),
        "the swarm's worker join token": host.check_output("docker swarm join-token -q worker"),
        "the admin's password": ADMIN_PASSWORD,
        **{name: host.check_output(f"cat {SECRETS}/{name}") for name in ("cookie_secret", "proxy_token", "front_door_token")},
    }
    assert len(secrets["proxy_token"]) == 64
    shown = [name for name, value in secrets.items() if value and value in result.output]
    assert not shown, f"shown by ansible-playbook -vvv: {shown}"
    assert HubSession(base_url, ADMIN, ADMIN_PASSWORD).login()
    registry = REGISTRY.rsplit(":", 1)
    assert reach(mallory, {"registry": (registry[0], int(registry[1]))})["registry"] != "open", \
        "the default of jupyterhub_user_allowed_networks did not close the registry again"
