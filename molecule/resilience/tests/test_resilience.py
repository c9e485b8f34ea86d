"""A lab host converged by site.yml, put through what a lab goes through: an upgrade from a
labforge that kept only work/, a killed container, a Docker restart, restarts of an
instance's unit, a reboot, an image upgrade, re-runs with broken variables and an upgrade
while the registry is unreachable. After each step, what every student keeps is still
there (a notebook at the JupyterLab root and one under work/, JupyterLab settings, a package
installed with pip --user), and across a Docker restart the containers and a kernel's
variables too.

The tests run in file order, each on the host the previous one left.
"""

import base64
import copy
import hashlib
import io
import json
import os
import subprocess
import time
import zipfile

import pytest
import yaml
from labforge_jupyter import container
from labforge_testlib import host_name, run_playbook

MOLECULE = yaml.safe_load(open(os.environ["MOLECULE_FILE"]))
INSTANCES = MOLECULE["provisioner"]["inventory"]["group_vars"]["jupyter_hosts"]["jupyter_instances"]
TOKENS = {i["name"]: i["token"] for i in INSTANCES}
URLS = {i["name"]: f"http://127.0.0.1:{i.get('port', 8888)}/" for i in INSTANCES}
UPGRADED = [{**INSTANCES[0], "image": "{{ labforge_test_registry }}/labforge/jupyter-test:2"}, *INSTANCES[1:]]

NOTEBOOKS = {"survivor.ipynb": "saved at the JupyterLab root", "work/survivor.ipynb": "saved under work/"}
SETTING = "@jupyterlab/apputils-extension:themes"
SETTING_FILE = ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/themes.jupyterlab-settings"
SETTING_RAW = '// saved before the faults\n{"theme": "JupyterLab Dark"}'
PROBE_MARK = "installed with pip --user"
KERNEL_VALUE = "kept across the daemon restart"


def probe_wheel():
    """A one-module wheel built here: pip installs it with no index (the containers reach none)."""
    files = {
        "labforge_probe/__init__.py": f"MARK = {PROBE_MARK!r}\n",
        "labforge_probe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: labforge-probe\nVersion: 1.0\n",
        "labforge_probe-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: labforge-tests\n"
                                               "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files["labforge_probe-1.0.dist-info/RECORD"] = "\n".join(record + ["labforge_probe-1.0.dist-info/RECORD,,"]) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return base64.b64encode(buffer.getvalue()).decode()


WHEEL = "labforge_probe-1.0-py3-none-any.whl"
PIP_INSTALL = (
    "import subprocess, sys\n"
    f"done = subprocess.run([sys.executable, '-m', 'pip', 'install', '--user', '--no-index', '--no-deps',"
    f" '/home/jovyan/{WHEEL}'], capture_output=True, text=True)\n"
    "print(done.returncode, done.stderr[-400:])"
)


def answers(client):
    for name in URLS:
        assert client("wait", URLS[name], "180", token=TOKENS[name]) == ["200"], f"{name} does not answer"


def students_work_intact(host, client):
    """Everything each student saved is still where they saved it, and the instances answer."""
    answers(client)
    for name in URLS:
        for path, text in NOTEBOOKS.items():
            status, *body = client("get", URLS[name], f"api/contents/{path}", token=TOKENS[name])
            assert status == "200" and text in "".join(body), f"{name}: {path} is gone"
        status, *body = client("get", URLS[name], f"lab/api/settings/{SETTING}", token=TOKENS[name])
        assert status == "200" and json.loads("".join(body))["raw"] == SETTING_RAW, f"{name}: settings are gone"
        c = f"labforge-jupyter-{name}"
        assert host.check_output(f"docker exec {c} cat /home/jovyan/{SETTING_FILE}") == SETTING_RAW
        probe = host.run(f"docker exec {c} python3 -c 'import labforge_probe; print(labforge_probe.MARK)'")
        assert probe.stdout.strip() == PROBE_MARK, f"{name}: the pip --user package is gone: {probe.stderr}"
    # What carol saved under work/ with the labforge that kept only work/.
    status, *body = client("get", URLS["carol"], "api/contents/work/earlier.ipynb", token=TOKENS["carol"])
    assert status == "200" and "saved under work/ before the upgrade" in "".join(body)
    assert host.check_output("docker exec labforge-jupyter-carol cat /home/jovyan/work/.hidden-note") == \
        "a dotfile under work/"


def ids(host):
    return {name: container(host, name)["Id"] for name in URLS}


def started_at(host):
    return {name: container(host, name)["State"]["StartedAt"] for name in URLS}


def image_version(host, name):
    return host.check_output(f"docker exec labforge-jupyter-{name} cat /opt/labforge/image-version")


def mounts(host, name):
    return {m["Destination"]: m.get("Name") or m["Source"] for m in container(host, name)["Mounts"]}


def test_an_instance_from_before_homes_persisted_keeps_its_volume_at_work(host, client):
    """prepare.yml left carol's volume and record as labforge did when only work/ was a volume."""
    answers(client)
    assert mounts(host, "carol") == {"/home/jovyan": "jupyter-carol-home", "/home/jovyan/work": "jupyter-carol",
                                     "/etc/labforge-jupyter/jupyter_server_config.json":
                                         "/etc/labforge/jupyter/carol/jupyter_server_config.json",
                                     "/etc/labforge-jupyter/labconfig/page_config.json":
                                         "/etc/labforge/jupyter/page_config.json"}
    assert mounts(host, "alice")["/home/jovyan"] == "jupyter-alice"
    assert "/home/jovyan/work" not in mounts(host, "alice")
    # The notebook is where carol saw it; renamed here so the checks below tell it apart.
    status, *body = client("get", URLS["carol"], "api/contents/work/survivor.ipynb", token=TOKENS["carol"])
    assert status == "200" and "saved under work/ before the upgrade" in "".join(body)
    host.check_output("docker exec labforge-jupyter-carol mv /home/jovyan/work/survivor.ipynb "
                      "/home/jovyan/work/earlier.ipynb")
    state = json.loads(host.file("/etc/labforge/jupyter/state.json").content_string)
    assert state["layouts"] == {"alice": "home", "bob": "home", "carol": "work"}


def test_students_save_their_work(host, client):
    wheel = probe_wheel()
    for name in URLS:
        for path, text in NOTEBOOKS.items():
            assert client("put-notebook", URLS[name], path, text, token=TOKENS[name]) == ["201"]
        assert client("put-setting", URLS[name], SETTING, SETTING_RAW, token=TOKENS[name]) == ["204"]
        assert client("put-file", URLS[name], WHEEL, wheel, token=TOKENS[name]) == ["201"]
        (kernel,) = client("kernel-start", URLS[name], token=TOKENS[name])
        installed = client("kernel-run", URLS[name], kernel, PIP_INSTALL, token=TOKENS[name])
        assert installed[0].startswith("0"), installed
    students_work_intact(host, client)


def a_killed_container_is_replaced(host, client, name):
    before = container(host, name)["Id"]
    host.check_output(f"docker kill labforge-jupyter-{name}")
    students_work_intact(host, client)
    assert container(host, name)["Id"] != before


def test_a_killed_container_is_replaced_by_systemd(host, client):
    a_killed_container_is_replaced(host, client, "alice")


def test_a_docker_restart_keeps_the_containers_and_their_kernels(host, client):
    kernels = {}
    for name in ("alice", "carol"):
        (kernels[name],) = client("kernel-start", URLS[name], token=TOKENS[name])
        client("kernel-run", URLS[name], kernels[name], f"x = {KERNEL_VALUE!r}", token=TOKENS[name])
    before = ids(host)
    units = {n: host.check_output(f"systemctl show --property MainPID --value labforge-jupyter@{n}") for n in URLS}
    host.check_output("systemctl restart docker")
    assert host.service("docker").is_running
    students_work_intact(host, client)
    assert ids(host) == before
    for name, kernel in kernels.items():
        assert client("kernel-run", URLS[name], kernel, "print(x)", token=TOKENS[name]) == [KERNEL_VALUE]
    for name in URLS:  # the units stayed active, following the same containers
        unit = f"labforge-jupyter@{name}"
        assert host.check_output(f"systemctl is-active {unit}") == "active"
        assert host.check_output(f"systemctl show --property MainPID --value {unit}") == units[name]


def test_after_a_docker_restart_the_unit_still_follows_its_container(host, client):
    a_killed_container_is_replaced(host, client, "bob")


def test_the_unit_stops_starts_and_restarts_its_instance(host, client):
    unit = "labforge-jupyter@alice"
    host.check_output(f"systemctl stop {unit}")
    assert container(host, "alice")["State"]["Running"] is False
    assert host.run(f"systemctl is-active {unit}").stdout.strip() == "inactive"
    host.check_output(f"systemctl start {unit}")
    assert container(host, "alice")["State"]["Running"] is True
    before = container(host, "alice")["Id"]
    host.check_output(f"systemctl restart {unit}")
    assert container(host, "alice")["Id"] != before
    students_work_intact(host, client)


def test_a_reboot_brings_every_instance_back(host, client):
    name = host_name(host)
    booted_before = host.check_output("cat /proc/1/stat").split()[21]
    subprocess.run(["docker", "stop", "--time", "60", name], check=True, capture_output=True)
    subprocess.run(["docker", "start", name], check=True, capture_output=True)
    deadline = time.monotonic() + 120
    while host.run("systemctl is-system-running --wait").stdout.strip() not in ("running", "degraded"):
        assert time.monotonic() < deadline, "the host did not finish booting"
        time.sleep(2)
    assert host.check_output("cat /proc/1/stat").split()[21] != booted_before  # a new PID 1: it did boot
    students_work_intact(host, client)
    for instance in URLS:
        assert host.service(f"labforge-jupyter@{instance}.service").is_running


def test_an_upgrade_restarts_only_the_upgraded_instance(host, client):
    bob_before = container(host, "bob")["Id"]
    result = run_playbook("converge.yml", {"jupyter_instances": UPGRADED})
    assert result.returncode == 0, result.output[-3000:]
    students_work_intact(host, client)
    assert (image_version(host, "alice"), image_version(host, "bob")) == ("2", "1")
    assert container(host, "bob")["Id"] == bob_before
    state = json.loads(host.file("/etc/labforge/jupyter/state.json").content_string)
    assert state["images"]["alice"]["image"].endswith("/labforge/jupyter-test:2")


def broken(**changes):
    instances = copy.deepcopy(UPGRADED)
    instances[0].update(changes)
    return {"jupyter_instances": instances}


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        (broken(port=8889), "both ask for port 8889"),
        (broken(memory="lots"), "jupyter_instances[alice]: memory:"),
        ({"jupyter_instances": UPGRADED, "docker_engine_daemon_config": {"live-restore": "yes"}}, "live-restore"),
        ({"jupyter_instances": UPGRADED, "jupyter_instnaces": []}, "jupyter_instnaces"),
    ],
    ids=["port-clash", "malformed-memory", "daemon-option-of-the-wrong-type", "misspelled-variable"],
)
def test_a_broken_variable_fails_before_any_change(host, client, extra_vars, message):
    daemon_json = host.file("/etc/docker/daemon.json").sha256sum
    dockerd = host.check_output("systemctl show --property MainPID --value docker")
    before = started_at(host)
    result = run_playbook("converge.yml", extra_vars)
    assert result.returncode != 0
    assert message in result.output, result.output[-3000:]
    assert result.recap(host_name(host))["changed"] == 0
    assert started_at(host) == before
    assert host.file("/etc/docker/daemon.json").sha256sum == daemon_json
    assert host.check_output("systemctl show --property MainPID --value docker") == dockerd
    students_work_intact(host, client)


@pytest.fixture
def registry_unreachable(host):
    """Reject the host's traffic to the registry (what a registry outage looks like to it)."""
    address, port = os.environ["LABFORGE_TEST_REGISTRY"].rsplit(":", 1)
    rule = f"OUTPUT -p tcp -d {address} --dport {port} -j REJECT --reject-with tcp-reset"
    host.check_output(f"iptables -I {rule}")
    yield address
    host.check_output(f"iptables -D {rule}")


def test_an_upgrade_while_the_registry_is_unreachable_keeps_the_old_instance(host, client, registry_unreachable):
    before = started_at(host)
    result = run_playbook("converge.yml", {"jupyter_instances": UPGRADED, "jupyter_pull_policy": "always",
                                           "jupyter_pull_retries": 1, "jupyter_pull_delay": 1})
    assert result.returncode != 0
    assert "jupyter: could not pull" in result.output and "/labforge/jupyter-test:2" in result.output
    assert "every instance keeps running the image it runs now" in result.output
    assert result.recap(host_name(host))["changed"] == 0
    assert started_at(host) == before
    students_work_intact(host, client)
    assert image_version(host, "alice") == "2"


def test_the_next_run_with_the_registry_back_changes_nothing(host, client):
    """Also the idempotence check of the upgraded host."""
    result = run_playbook("converge.yml", {"jupyter_instances": UPGRADED, "jupyter_pull_policy": "always"})
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(host_name(host))["changed"] == 0
    students_work_intact(host, client)
