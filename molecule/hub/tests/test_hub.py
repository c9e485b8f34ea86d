"""The lab's JupyterHub through site.yml on a swarm of one manager and two workers (host
containers, each with a Docker engine inside). Students sign up, an admin approves them, they
log in through the proxy on the manager and their servers land on several nodes; what they
would lose is checked: a notebook saved at the JupyterLab root, a running kernel, a session,
a server's swarm service; through a stop, a hub restart, a hub upgrade, a worker's restart,
a move of their home to another node and idle culling.

The tests run in file order, each on the lab the previous one left: every test takes the
`host` fixture, or pytest would run those without it apart from the others. HTTP goes from the
machine that runs the tests to the manager container's proxy port.
"""

import json
import os
import subprocess
import time

import pytest
from labforge_hub import ADMIN, ADMIN_PASSWORD, HubSession
from labforge_testlib import run_playbook

testinfra_hosts = ["ansible://hub"]  # the manager: the tests drive the workers from here

REGISTRY = os.environ.get("LABFORGE_TEST_REGISTRY", "127.0.0.1:5000")
MANAGER, W1, W2 = "labforge-hub-m1", "labforge-hub-w1", "labforge-hub-w2"
STUDENTS = ("ann", "bob", "cat")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def sessions(base_url) -> dict[str, HubSession]:
    return {ADMIN: HubSession(base_url, ADMIN, ADMIN_PASSWORD),
            **{name: HubSession(base_url, name, PASSWORD) for name in (*STUDENTS, "dan")}}


def service(host, user: str) -> dict:
    return json.loads(host.check_output(f"docker service inspect labforge-user-{user}"))[0]


def services(host) -> dict[str, str]:
    """user -> service ID of every user's server."""
    lines = host.check_output(
        "docker service ls --filter label=org.labforge.hub.user --format '{{.Name}} {{.ID}}'").splitlines()
    return {name.removeprefix("labforge-user-"): sid for name, sid in (line.split() for line in lines)}


def node_of(host, user: str) -> str:
    """The node whose running task serves the user's server."""
    return host.check_output(
        f"docker service ps labforge-user-{user} --filter desired-state=running --format '{{{{.Node}}}}'").strip()


def pinned_node(host, user: str) -> str:
    return json.loads(host.check_output(f"cat /var/lib/labforge-hub/homes/{user}"))["node"]


def on(host, name: str, command: str):
    """Run a command on another node of the scenario."""
    import os

    import testinfra

    other = testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")
    return other.run(command)


def wait_for_health(base_url: str, timeout: float = 120) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(base_url + "/hub/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(2)
    raise AssertionError(f"the hub did not answer in {timeout} s")


def test_sign_up_then_only_users_an_admin_approved_log_in(host, sessions):
    admin = sessions[ADMIN]
    assert admin.login(), "the admin's account, made by the role from the inventory, does not log in"
    for name in (*STUDENTS, "dan"):
        assert sessions[name].signup().status_code == 200
        assert not sessions[name].login(), f"{name} logged in before an admin approved the sign-up"
    short = HubSession(admin.base, "eve", "short")
    short.signup()
    assert "eve" not in admin.http.get(admin.base + "/hub/authorize", timeout=30).text, \
        "a password shorter than jupyterhub_native_minimum_password_length made an account"
    for name in (*STUDENTS, "dan"):
        admin.authorize(name)
        assert sessions[name].login(), f"{name} could not log in once approved"


def test_students_servers_start_as_swarm_services_on_several_nodes(host, sessions):
    for name in STUDENTS:
        sessions[name].start()
    placed = {name: node_of(host, name) for name in STUDENTS}
    assert len(set(placed.values())) >= 2, placed
    assert {name: pinned_node(host, name) for name in STUDENTS} == placed


def test_a_users_server_publishes_no_port_and_mounts_the_whole_home_as_a_named_volume(host):
    spec = service(host, "ann")["Spec"]
    assert spec["EndpointSpec"]["Mode"] == "dnsrr"
    assert not spec["EndpointSpec"].get("Ports")
    mounts = spec["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert [(m["Type"], m["Source"], m["Target"]) for m in mounts] == [("volume", "labforge-home-ann", "/home/jovyan")]
    assert spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] == 512 * 1024 ** 2
    assert [n["Target"] for n in spec["TaskTemplate"]["Networks"]] == [
        json.loads(host.check_output("docker network inspect labforge-lab --format '{{json .Id}}'"))]


def test_a_notebook_saved_at_the_jupyterlab_root_lands_in_the_home_volume_on_its_node(host, sessions):
    for name in STUDENTS:
        sessions[name].open_lab()
        sessions[name].save_notebook(f"{name}.ipynb", f"{name}'s work")
        volume = on(host, pinned_node(host, name), f"docker volume inspect labforge-home-{name} --format '{{{{.Mountpoint}}}}'")
        assert volume.rc == 0, volume.stderr
        saved = on(host, pinned_node(host, name), f"cat {volume.stdout.strip()}/{name}.ipynb")
        assert f"{name}'s work" in saved.stdout


def test_a_user_cannot_open_another_users_server(host, sessions):
    bob = sessions["bob"]
    assert bob.open_lab("ann").status_code == 403
    peek = bob.http.get(f"{bob.base}/user/ann/api/contents/ann.ipynb", timeout=30)
    assert peek.status_code in (403, 404) and "ann's work" not in peek.text


def test_restarting_the_hub_keeps_servers_kernels_and_sessions(host, sessions, base_url):
    ann = sessions["ann"]
    kernel = ann.start_kernel()
    ann.run(kernel, "x = 6 * 7")
    before = services(host)
    host.check_output("systemctl restart labforge-jupyterhub.service")
    wait_for_health(base_url)
    assert services(host) == before, "a hub restart replaced users' swarm services"
    assert ann.run(kernel, "print(x)").strip() == "42", "the kernel did not survive the hub restart"
    for name in STUDENTS:
        assert sessions[name].server().get("ready"), f"{name}'s server is not running after the hub restart"
        assert sessions[name].read_notebook(f"{name}.ipynb") == f"{name}'s work"


def test_a_stopped_server_starts_again_on_the_same_node_with_its_notebook(host, sessions):
    cat = sessions["cat"]
    node = pinned_node(host, "cat")
    cat.stop()
    assert "cat" not in services(host), "stopping the server left its swarm service"
    cat.start()
    assert node_of(host, "cat") == node
    assert cat.read_notebook("cat.ipynb") == "cat's work"


def test_the_admin_sees_and_stops_every_users_server_and_students_cannot(host, sessions):
    admin, bob = sessions[ADMIN], sessions["bob"]
    listed = {u["name"]: u for u in admin.api("GET", "/users").json()}
    assert all(listed[name]["servers"].get("", {}).get("ready") for name in STUDENTS), listed
    assert "Admin" in admin.http.get(admin.base + "/hub/admin", timeout=30).text
    assert sessions["ann"].api("GET", "/users").status_code == 403
    assert admin.api("DELETE", "/users/bob/server").status_code in (202, 204)
    deadline = time.monotonic() + 120
    while bob.server() and time.monotonic() < deadline:
        time.sleep(2)
    assert not bob.server() and "bob" not in services(host)
    bob.start()
    assert bob.read_notebook("bob.ipynb") == "bob's work", "stopping a server lost the home"


def test_failed_logins_lock_a_user_out_even_with_the_right_password(host, sessions):
    dan = HubSession(sessions["dan"].base, "dan", PASSWORD)
    for _ in range(3):  # jupyterhub_allowed_failed_logins
        assert not dan.login("wrong password")
    assert not dan.login(), "the right password let dan in during the lockout"


def test_secrets_are_root_only_and_never_in_ps_inspect_or_the_journal(host):
    assert host.file("/etc/labforge-hub/secrets").mode == 0o700
    assert host.file("/var/lib/labforge-hub").mode == 0o700
    for name in ("cookie_secret", "proxy_token", "front_door_token"):
        secret = host.file(f"/etc/labforge-hub/secrets/{name}")
        assert secret.user == "root" and secret.mode == 0o600
        value = secret.content_string.strip()
        assert len(value) == 64
        seen = host.check_output("ps auxww; docker inspect labforge-hub labforge-hub-proxy; "
                                 "docker service inspect $(docker service ls -q); "
                                 "journalctl --no-pager -u 'labforge-jupyterhub*'")
        assert value not in seen, f"the {name} shows in ps, docker inspect or the journal"


def test_check_mode_on_the_converged_hub_changes_nothing(host):
    result = run_playbook("converge.yml", None, "--check", "--diff", "--tags", "hub")
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(MANAGER)["changed"] == 0, result.output[-3000:]


def test_bad_input_is_refused_before_any_change(host):
    hub_id = host.check_output("docker inspect labforge-hub --format '{{.Id}}'")
    result = run_playbook("converge.yml", {"jupyterhub_user_mem_limit": "lots", "jupyterhub_port": 8123},
                          "--tags", "hub")
    assert result.returncode != 0
    assert "jupyterhub_user_mem_limit" in result.output and '"lots"' in result.output
    assert host.check_output("docker inspect labforge-hub --format '{{.Id}}'") == hub_id
    assert "8123" not in host.check_output("cat /etc/systemd/system/labforge-jupyterhub-proxy.service")


def test_the_validation_tag_checks_and_changes_nothing(host):
    result = run_playbook("converge.yml", {"jupyterhub_port": 8123}, "--tags", "jupyterhub_validate")
    assert result.returncode == 0, result.output[-3000:]
    assert "TASK [jupyterhub : Check that the proxy's port is free or already the lab's]" in result.output
    assert result.recap(MANAGER)["changed"] == 0
    assert "8123" not in host.check_output("cat /etc/systemd/system/labforge-jupyterhub-proxy.service")


def test_a_new_hub_image_backs_up_and_upgrades_the_database_and_keeps_servers(host, sessions, base_url):
    current = host.check_output("docker inspect labforge-hub --format '{{.Config.Image}}'")
    host.check_output(f"printf 'FROM {current}\\nLABEL org.labforge.test=next\\n' | docker build -q -t labforge/jupyterhub:next -")
    before = services(host)
    result = run_playbook("converge.yml", {"jupyterhub_image": "labforge/jupyterhub:next"}, "--tags", "hub")
    assert result.returncode == 0, result.output[-3000:]
    assert "jupyterhub upgrade-db" in result.output
    backups = host.check_output("ls /var/lib/labforge-hub").split()
    assert any(name.startswith("jupyterhub.sqlite.backup-") for name in backups), backups
    assert host.check_output("docker inspect labforge-hub --format '{{.Config.Image}}'") == "labforge/jupyterhub:next"
    wait_for_health(base_url)
    assert services(host) == before
    assert sessions["ann"].read_notebook("ann.ipynb") == "ann's work"
    again = run_playbook("converge.yml", {"jupyterhub_image": "labforge/jupyterhub:next"}, "--tags", "hub")
    assert again.recap(MANAGER)["changed"] == 0, again.output[-3000:]


def test_a_hub_image_that_does_not_start_is_rolled_back_and_servers_run_on(host, sessions, base_url):
    running = host.check_output("docker inspect labforge-hub --format '{{.Config.Image}}'")
    before = services(host)
    result = run_playbook("converge.yml", {"jupyterhub_image": f"{REGISTRY}/labforge/hello:1",
                                           "jupyterhub_ready_timeout": 30}, "--tags", "hub")
    assert result.returncode != 0
    assert "rolled back" in result.output and "answers again" in result.output, result.output[-3000:]
    wait_for_health(base_url)
    assert host.check_output("docker inspect labforge-hub --format '{{.Config.Image}}'") == running
    assert services(host) == before
    assert sessions["ann"].read_notebook("ann.ipynb") == "ann's work"
    assert not host.run("ls /etc/labforge-hub/*~ /etc/systemd/system/*~").stdout.strip()


def logs_in_within(base_url: str, name: str, password: str, expected: bool, seconds: float = 10) -> bool:
    """Whether the login's outcome became `expected` within `seconds`, trying every 2 s."""
    deadline = time.monotonic() + seconds
    while HubSession(base_url, name, password).login() != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(2)
    return True


def test_pam_logs_in_the_hub_hosts_accounts_and_sees_their_changes_without_a_restart(host, base_url):
    host.check_output("id pat || useradd --create-home pat && echo 'pat:pam password 1' | chpasswd")
    result = run_playbook("converge.yml", {"jupyterhub_authenticator": "pam"}, "--tags", "hub")
    assert result.returncode == 0, result.output[-3000:]
    hub_id = host.check_output("docker inspect labforge-hub --format '{{.Id}}'")
    try:
        assert HubSession(base_url, "pat", "pam password 1").login()
        assert not HubSession(base_url, "pat", "wrong password").login()
        assert not HubSession(base_url, "ann", PASSWORD).login(), "a NativeAuthenticator account logged in via PAM"
        host.check_output("usermod --lock pat")
        assert logs_in_within(base_url, "pat", "pam password 1", False), "a locked account still logs in"
        host.check_output("usermod --unlock pat && echo 'pat:pam password 2' | chpasswd")
        assert logs_in_within(base_url, "pat", "pam password 2", True), "a changed password does not log in"
        host.check_output("useradd --create-home quinn && echo 'quinn:pam password 3' | chpasswd")
        assert logs_in_within(base_url, "quinn", "pam password 3", True), "a new account does not log in"
        host.check_output("chage --expiredate 2000-01-01 quinn")
        assert logs_in_within(base_url, "quinn", "pam password 3", False), "an expired account still logs in"
        host.check_output("userdel --remove pat")
        assert logs_in_within(base_url, "pat", "pam password 2", False), "a deleted account still logs in"
        assert host.check_output("docker inspect labforge-hub --format '{{.Id}}'") == hub_id, "the hub restarted"
    finally:
        host.run("userdel --remove quinn")
        back = run_playbook("converge.yml", None, "--tags", "hub")
        assert back.returncode == 0, back.output[-3000:]
    assert HubSession(base_url, "ann", PASSWORD).login()


def test_a_restarted_worker_host_brings_its_users_back_to_that_node_with_their_files(host, sessions):
    user = next(name for name in STUDENTS if pinned_node(host, name) in (W1, W2))
    node = pinned_node(host, user)
    subprocess.run(["docker", "restart", node], check=True, timeout=120)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if f"{node} Ready" in host.check_output("docker node ls --format '{{.Hostname}} {{.Status}}'"):
            break
        time.sleep(3)
    session = sessions[user]
    deadline = time.monotonic() + 240
    found = None
    while found != f"{user}'s work" and time.monotonic() < deadline:
        time.sleep(3)
        if not session.server():
            session.start()  # the hub saw the server stop while its node was down
        try:
            found = session.read_notebook(f"{user}.ipynb")
        except AssertionError:  # the proxy answers 503 until the server is back
            session.open_lab()
    assert found == f"{user}'s work"
    assert node_of(host, user) == node


def test_the_move_playbook_moves_a_home_to_another_node(host, sessions):
    ann = sessions["ann"]
    source = pinned_node(host, "ann")
    target = next(n for n in (MANAGER, W1, W2) if n != source)
    refused = run_playbook("../../playbooks/move_home.yml", {"user": "ann", "to": target})
    assert refused.returncode != 0 and "stop" in refused.output, "a running server's home was moved"
    ann.stop()
    moved = run_playbook("../../playbooks/move_home.yml", {"user": "ann", "to": target})
    assert moved.returncode == 0, moved.output[-3000:]
    assert pinned_node(host, "ann") == target
    ann.start()
    assert node_of(host, "ann") == target
    assert ann.read_notebook("ann.ipynb") == "ann's work"
    kept = on(host, source, "docker volume inspect labforge-home-ann")
    assert kept.rc == 0, "the move removed the source volume"


def test_users_pick_a_profile_and_every_node_has_its_image(host, sessions):
    one, two = (f"{REGISTRY}/labforge/jupyter-test:{tag}" for tag in (1, 2))
    profiles = [{"name": "Course one", "image": one}, {"name": "Course two", "image": two}]
    result = run_playbook("converge.yml", {"jupyterhub_user_profiles": profiles}, "--tags", "hub")
    assert result.returncode == 0, result.output[-3000:]
    for name in (MANAGER, W1, W2):
        assert on(host, name, f"docker image inspect {two}").rc == 0, f"{two} was not pulled on {name}"
    bob = sessions["bob"]
    bob.stop()
    form = bob.http.get(f"{bob.base}/hub/spawn", timeout=30).text
    assert "Course one" in form and "Course two" in form
    bob.start(options={"image": "Course two"})
    assert service(host, "bob")["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(two)
    assert bob.read_notebook("bob.ipynb") == "bob's work"


def test_idle_servers_are_culled_and_their_homes_kept(host, sessions):
    result = run_playbook("converge.yml", {"jupyterhub_idle_timeout": 20, "jupyterhub_cull_every": 10},
                          "--tags", "hub")
    assert result.returncode == 0, result.output[-3000:]
    deadline = time.monotonic() + 180
    while services(host) and time.monotonic() < deadline:
        time.sleep(5)
    assert not services(host), "idle servers were not culled"
    for name in STUDENTS:
        assert on(host, pinned_node(host, name), f"docker volume inspect labforge-home-{name}").rc == 0
    cat = sessions["cat"]
    cat.start()
    assert cat.read_notebook("cat.ipynb") == "cat's work"
