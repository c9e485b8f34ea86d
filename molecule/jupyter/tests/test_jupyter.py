"""The jupyter role on a real systemd host with Docker inside: instances answer with their
own authentication, keep secrets out of sight, run hardened and limited, refuse bad input
untouched, and keep the data of removed instances. (Faults, reboots and upgrades are the
resilience scenario's.)

The tests run in file order; the last one changes the host (a removal).
"""

import copy
import html
import json
import re
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from labforge_jupyter import container
from labforge_testlib import host_name, run_playbook

SCENARIO = Path(__file__).resolve().parents[1]
INSTANCES = yaml.safe_load((SCENARIO / "vars" / "instances.yml").read_text())["jupyter_instances"]
ALICE_TOKEN = "alice-token-0123456789abcdef"
CAROL_TOKEN = "carol-token-from-file-0123456789"
BOB_PASSWORD = "bob-password-123"
URLS = {"alice": "http://127.0.0.1:8888/", "bob": "http://127.0.0.1:8900/bob/", "carol-lab": "http://127.0.0.1:8889/"}
UNITS = {"alice": "labforge-jupyter@alice.service", "bob": "labforge-jupyter@bob.service",
         "carol-lab": "labforge-jupyter@carol\\x2dlab.service"}
SECRETS = (ALICE_TOKEN, CAROL_TOKEN, BOB_PASSWORD)


def with_alice(**changes):
    instances = copy.deepcopy(INSTANCES)
    instances[0].update(changes)
    return instances


@pytest.mark.parametrize("name", sorted(UNITS))
def test_each_instance_is_an_active_enabled_unit(host, name):
    unit = host.service(UNITS[name])
    assert unit.is_running
    assert unit.is_enabled


@pytest.mark.parametrize(("name", "token"), [("alice", ALICE_TOKEN), ("carol-lab", CAROL_TOKEN)])
def test_token_instances_answer_with_their_token_only(client, name, token):
    assert client("wait", URLS[name], "60", token=token) == ["200"]
    assert client("status", URLS[name]) == ["403"]
    assert client("status", URLS[name], token="not-the-token-at-all") == ["403"]


def test_jupyterlab_calls_no_one(host):
    """No news prompt, news feed, update check or extension index: JupyterLab's page config."""
    fetch = ("import os, urllib.request; print(urllib.request.urlopen(urllib.request.Request(os.environ['URL'], "
             "headers={'Authorization': 'token ' + os.environ['TOKEN']})).read().decode())")
    page = host.check_output(f"URL={URLS['alice']}lab TOKEN={ALICE_TOKEN} python3 -c {shlex.quote(fetch)}")
    config = json.loads(html.unescape(re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S).group(1)))
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]
    assert config["news"] == {"disabled": True}
    assert config["extensionManager"]["name"] == "read-only"


def test_password_instance_answers_after_login_only(client):
    assert client("status", URLS["bob"]) == ["403"]
    assert client("login", URLS["bob"], password=BOB_PASSWORD) == ["200"]
    assert client("login", URLS["bob"], password="wrong-password") == ["403"]


def test_secrets_appear_in_no_process_inspect_log_or_journal(host):
    places = {
        "ps": host.check_output("ps auxww"),
        "inspect": host.check_output("docker inspect labforge-jupyter-alice labforge-jupyter-bob labforge-jupyter-carol-lab"),
        "journal": host.check_output("journalctl --no-pager -o cat -u 'labforge-jupyter@*'"),
        "logs": "".join(host.run(f"docker logs labforge-jupyter-{n}").stderr for n in ("alice", "bob", "carol-lab")),
        "unit settings": host.check_output("cat /etc/labforge/jupyter/*/instance.env /etc/systemd/system/labforge-jupyter@.service"),
    }
    for where, text in places.items():
        for secret in SECRETS:
            assert secret not in text, f"a secret shows in {where}"
    assert "ServerApp" in places["journal"]  # the journal does hold the servers' logs


def test_server_configs_belong_to_root_and_no_other_user_of_the_host_reads_them(host):
    # A host user in the same group as the containers' jovyan (users, 100): the directory stops them.
    host.run("useradd --gid users --no-create-home labforge-student")
    for name in UNITS:
        path = f"/etc/labforge/jupyter/{name}/jupyter_server_config.json"
        config = host.file(path)
        assert (config.uid, config.gid, config.mode) == (0, 100, 0o640)
        assert host.file(f"/etc/labforge/jupyter/{name}").mode == 0o700
        denied = host.run(f"runuser -u labforge-student -- cat {path}")
        assert denied.rc != 0 and "Permission denied" in denied.stderr
        assert host.run(f"runuser -u nobody -- cat {path}").rc != 0
        # The container's jovyan does read it (the token tests show it is used, too).
        assert host.run(f"docker exec labforge-jupyter-{name} cat /etc/labforge-jupyter/jupyter_server_config.json").rc == 0


def test_gpus_device_list_reaches_docker_as_one_request_for_both_gpus(host):
    """The stopped instance gpu asks for gpus: device=0,1. Its unit, started here, fails (this host has
    no GPU driver) after `docker run` created the container: what Docker was asked shows in it."""
    unit = "labforge-jupyter@gpu.service"
    host.run(f"systemctl start {unit}")
    try:
        for _ in range(40):
            found = host.run("docker inspect --format '{{json .HostConfig.DeviceRequests}}' labforge-jupyter-gpu")
            if found.rc == 0:
                break
            time.sleep(0.25)
    finally:
        host.run(f"systemctl stop {unit}")
        host.run("docker rm --force labforge-jupyter-gpu")
    assert found.rc == 0, found.stderr
    assert json.loads(found.stdout) == [
        {"Driver": "", "Count": 0, "DeviceIDs": ["0", "1"], "Capabilities": [["gpu"]], "Options": {}}]


def test_homes_belong_to_jovyan_users(host):
    # A named volume gets the image's home (its owner, mode and dotfiles) when Docker first mounts it.
    named = json.loads(host.check_output("docker volume inspect jupyter-alice"))[0]["Mountpoint"]
    assert (host.file(named).uid, host.file(named).gid) == (1000, 100)
    assert host.file(f"{named}/.bashrc").exists
    directory = host.file("/srv/jupyter/bob")
    assert (directory.uid, directory.gid, directory.mode) == (1000, 100, 0o2775)


def test_limits_and_hardening_show_in_docker_inspect(host):
    alice, carol = container(host, "alice")["HostConfig"], container(host, "carol-lab")["HostConfig"]
    assert (alice["Memory"], alice["NanoCpus"], alice["PidsLimit"]) == (512 * 1024**2, 10**9, 256)
    assert carol["Memory"] == 768 * 1024**2
    assert "no-new-privileges" in alice["SecurityOpt"]
    assert alice["CapDrop"] == ["ALL"]
    assert alice["PortBindings"] == {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8888"}]}
    assert "TZ=Europe/Paris" in container(host, "carol-lab")["Config"]["Env"]


def test_ports_are_reachable_on_the_bind_address_only(host, client):
    assert client("status", URLS["alice"], token=ALICE_TOKEN) == ["200"]
    address = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", host_name(host)],
        capture_output=True, text=True, check=True).stdout.strip()
    with pytest.raises(OSError):  # from outside the host: nothing answers on the host's own address
        socket.create_connection((address, 8888), timeout=3).close()


@pytest.mark.parametrize(
    ("instances", "message"),
    [
        (with_alice(port=8900), "instances 'alice' and 'bob' both ask for port 8900"),
        (with_alice(image="Not A/Valid:ref"), "jupyter_instances[alice]: image:"),
        (with_alice(memory="12XB"), "jupyter_instances[alice]: memory:"),
        (with_alice(token=None), "jupyter_instances[alice]: no way to authenticate"),
        (with_alice(cpus=999), "jupyter_instances[alice]: cpus 999 is more than the"),
        (with_alice(memory="4000g"), "jupyter_instances[alice]: memory '4000g' is more than this host's"),
        (with_alice(gpus="all"), "jupyter_instances[alice]: gpus 'all' asks for GPU(s) this host does not have"),
        (with_alice(volume="/etc/hostname"), "jupyter_instances[alice]: volume /etc/hostname is a file"),
        # The role's argument spec, before its first task.
        (with_alice(colour="red"), "jupyter_instances.colour. Supported parameters include"),
        (with_alice(state="gone"), "value of state must be one of: present, stopped, absent, got: gone"),
    ],
    ids=["port-clash", "bad-image", "bad-memory", "no-auth", "cpus-above-the-host", "memory-above-the-host",
         "gpus-on-a-host-without", "volume-is-a-file", "unknown-field", "unknown-state"],
)
def test_bad_input_fails_before_any_change(host, instances, message):
    before = (container(host, "alice")["State"]["StartedAt"], host.file("/etc/labforge/jupyter/state.json").sha256sum)
    result = run_playbook("converge.yml", {"jupyter_instances": instances}, "--tags", "jupyter")
    assert result.returncode != 0
    assert message in result.output, result.output[-2000:]
    assert result.recap(host_name(host))["changed"] == 0
    after = (container(host, "alice")["State"]["StartedAt"], host.file("/etc/labforge/jupyter/state.json").sha256sum)
    assert after == before


def test_new_settings_that_do_not_start_are_rolled_back(host, client):
    """An image that is no Jupyter server: its container prints a line and exits. The run gives
    the instance its previous settings back, says why with the container's own words, and fails."""
    settings = {f: host.file(f"/etc/labforge/jupyter/alice/{f}").sha256sum
                for f in ("instance.env", "container.env", "jupyter_server_config.json")}
    assert client("put-notebook", URLS["alice"], "before-rollback.ipynb", "kept", token=ALICE_TOKEN) == ["201"]
    hello = "{{ labforge_test_registry }}/labforge/hello:1"
    began = time.monotonic()
    result = run_playbook("converge.yml", {"jupyter_instances": with_alice(image=hello)}, "--tags", "jupyter")
    assert result.returncode != 0
    assert time.monotonic() - began < 120  # given up when systemd restarted it, not after jupyter_ready_timeout
    assert "Jupyter instance alice did not answer" in result.output, result.output[-3000:]
    assert "Its previous settings are back and it answers again" in result.output
    assert "hello from the labforge rig" in result.output  # the container's own output, from the journal
    assert {f: host.file(f"/etc/labforge/jupyter/alice/{f}").sha256sum for f in settings} == settings
    assert client("wait", URLS["alice"], "60", token=ALICE_TOKEN) == ["200"]
    status, *body = client("get", URLS["alice"], "api/contents/before-rollback.ipynb", token=ALICE_TOKEN)
    assert status == "200" and "kept" in "".join(body)
    assert host.service(UNITS["alice"]).is_running
    rerun = run_playbook("converge.yml", {"jupyter_instances": INSTANCES}, "--tags", "jupyter")
    assert rerun.returncode == 0 and rerun.recap(host_name(host))["changed"] == 0, rerun.output[-3000:]


def test_absent_instance_is_removed_and_its_data_kept(host):
    instances = copy.deepcopy(INSTANCES)
    instances[2]["state"] = "absent"
    result = run_playbook("converge.yml", {"jupyter_instances": instances}, "--tags", "jupyter")
    assert result.returncode == 0, result.output[-3000:]
    assert not host.service(UNITS["carol-lab"]).is_running
    assert host.run("docker inspect labforge-jupyter-carol-lab").rc != 0
    assert host.run("docker volume inspect jupyter-carol-lab").rc == 0
    assert not host.file("/etc/labforge/jupyter/carol-lab").exists


def test_absent_instance_with_purge_data_loses_its_volume_and_only_that(host):
    instances = copy.deepcopy(INSTANCES)
    instances[2].update(state="absent", purge_data=True)
    checked = run_playbook("converge.yml", {"jupyter_instances": instances}, "--tags", "jupyter", "--check")
    assert checked.returncode == 0, checked.output[-3000:]
    assert "jupyter: would delete the data of carol-lab (purge_data: true): jupyter-carol-lab" in checked.output
    assert host.run("docker volume inspect jupyter-carol-lab").rc == 0
    result = run_playbook("converge.yml", {"jupyter_instances": instances}, "--tags", "jupyter")
    assert result.returncode == 0, result.output[-3000:]
    assert "jupyter: deleting the data of carol-lab (purge_data: true): jupyter-carol-lab" in result.output
    assert host.run("docker volume inspect jupyter-carol-lab").rc != 0
    assert host.run("docker volume inspect jupyter-alice").rc == 0
    assert host.service(UNITS["alice"]).is_running
