"""A lab host converged by site.yml, put through what a lab goes through: a killed
container, a Docker restart, a reboot, an upgrade, a re-run with broken variables and an
upgrade while the registry is unreachable. After each step the notebook written at the
start is intact and the instances answer.

The tests run in file order, each on the host the previous one left.
"""

import copy
import json
import os
import subprocess
import time

import pytest
import yaml
from labforge_jupyter import container
from labforge_testlib import host_name, run_playbook

TOKENS = {"alice": "alice-token-0123456789abcdef", "bob": "bob-token-0123456789abcdef"}
URLS = {"alice": "http://127.0.0.1:8888/", "bob": "http://127.0.0.1:8889/"}
NOTEBOOK, TEXT = "work/survivor.ipynb", "written before the faults"
MOLECULE = yaml.safe_load(open(os.environ["MOLECULE_FILE"]))
INSTANCES = MOLECULE["provisioner"]["inventory"]["group_vars"]["jupyter_hosts"]["jupyter_instances"]
UPGRADED = [{**INSTANCES[0], "image": "{{ labforge_test_registry }}/labforge/jupyter-test:2"}, INSTANCES[1]]


def notebook_intact(client):
    for name in URLS:
        assert client("wait", URLS[name], "180", token=TOKENS[name]) == ["200"], f"{name} does not answer"
    status, *body = client("get", URLS["alice"], f"api/contents/{NOTEBOOK}", token=TOKENS["alice"])
    assert status == "200" and TEXT in "".join(body)


def started_at(host):
    return {name: container(host, name)["State"]["StartedAt"] for name in URLS}


def image_version(host, name):
    return host.check_output(f"docker exec labforge-jupyter-{name} cat /opt/labforge/image-version")


def test_a_notebook_is_written_before_the_faults(client):
    assert client("wait", URLS["alice"], "120", token=TOKENS["alice"]) == ["200"]
    assert client("put-notebook", URLS["alice"], NOTEBOOK, TEXT, token=TOKENS["alice"]) == ["201"]
    notebook_intact(client)


def test_a_killed_container_is_replaced_by_systemd(host, client):
    before = container(host, "alice")["Id"]
    host.check_output("docker kill labforge-jupyter-alice")
    notebook_intact(client)
    assert container(host, "alice")["Id"] != before


def test_a_docker_restart_keeps_the_instances(host, client):
    host.check_output("systemctl restart docker")
    notebook_intact(client)
    assert host.service("docker").is_running


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
    notebook_intact(client)
    for instance in URLS:
        assert host.service(f"labforge-jupyter@{instance}.service").is_running


def test_an_upgrade_restarts_only_the_upgraded_instance(host, client):
    bob_before = container(host, "bob")["Id"]
    result = run_playbook("converge.yml", {"jupyter_instances": UPGRADED})
    assert result.returncode == 0, result.output[-3000:]
    notebook_intact(client)
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
    notebook_intact(client)


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
    notebook_intact(client)
    assert image_version(host, "alice") == "2"


def test_the_next_run_with_the_registry_back_changes_nothing(host, client):
    """Also the idempotence check of the upgraded host."""
    result = run_playbook("converge.yml", {"jupyter_instances": UPGRADED, "jupyter_pull_policy": "always"})
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(host_name(host))["changed"] == 0
    notebook_intact(client)
