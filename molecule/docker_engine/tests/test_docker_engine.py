"""docker_engine on a real systemd host: the engine runs as configured, pulls from the rig's
registry, serves the docker group, restarts once per change without killing containers,
refuses bad input before touching anything, and merges its settings into an operator's
daemon.json instead of replacing it.

The tests run in file order; the last ones change the host's configuration and put it back.
"""

import base64
import json
import os
import re
import time

import pytest
from labforge_testlib import host_name, run_playbook

REGISTRY = os.environ.get("LABFORGE_TEST_REGISTRY", "127.0.0.1:5000")
HELLO = f"{REGISTRY}/labforge/hello:1"
DAEMON_JSON = "/etc/docker/daemon.json"
RECORD = "/var/lib/labforge/docker_engine/daemon.json.state"
# converge.yml's own layers, which a run with other extra vars must repeat to keep them
GROUP_LAYER = {"log-opts": {"max-size": "20m"}}
HOST_LAYER = {"labels": ["lab=molecule"]}


def docker_info(host) -> dict:
    return json.loads(host.check_output("docker info --format '{{json .}}'"))


def daemon_json(host) -> dict:
    return json.loads(host.file("/etc/docker/daemon.json").content_string)


def dockerd_pid(host) -> str:
    return host.check_output("systemctl show --property MainPID --value docker.service")


def docker_starts(host) -> int:
    """How many times systemd has started docker.service since boot."""
    return int(host.check_output("journalctl -b -u docker.service -o cat | grep -c '^Started ' || true"))


def test_docker_is_active_and_enabled(host):
    docker = host.service("docker")
    assert docker.is_running
    assert docker.is_enabled


def test_docker_info_shows_the_configured_options(host):
    info = docker_info(host)
    assert info["LiveRestoreEnabled"] is True
    assert info["LoggingDriver"] == "json-file"
    assert info["DockerRootDir"] == "/var/lib/docker/lab"
    assert f"http://{REGISTRY}/" in info["RegistryConfig"]["Mirrors"]
    assert "lab=molecule" in info["Labels"]
    assert info["Driver"] == "overlay2"


def test_daemon_json_merges_defaults_group_and_host_layers(host):
    settings = daemon_json(host)
    # group layer changed max-size, the default max-file survived the merge
    assert settings["log-opts"] == {"max-size": "20m", "max-file": "3"}
    assert settings["labels"] == ["lab=molecule"]
    assert settings["no-new-privileges"] is True
    assert settings["userland-proxy"] is False
    assert settings["icc"] is False
    assert settings["insecure-registries"] == [REGISTRY]


def test_image_from_the_rig_registry_is_pulled_and_runs(host):
    host.check_output(f"docker pull {HELLO}")
    assert host.check_output(f"docker run --rm {HELLO}") == "hello from the labforge rig"


def test_containers_get_no_new_privileges_and_rotated_logs(host):
    status = host.check_output(f"docker run --rm {HELLO} /bin/busybox grep NoNewPrivs /proc/self/status")
    assert status.split() == ["NoNewPrivs:", "1"]
    name = host.check_output(f"docker create {HELLO}")
    try:
        log_config = json.loads(host.check_output(f"docker inspect --format '{{{{json .HostConfig.LogConfig}}}}' {name}"))
    finally:
        host.run(f"docker rm {name}")
    assert log_config == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "20m"}}


def test_published_ports_need_no_userland_proxy(host):
    host.check_output(f"docker run -d --name proxycheck -p 127.0.0.1:18080:8080 {HELLO} /bin/busybox sleep 60")
    try:
        assert host.run("pgrep -x docker-proxy").rc == 1
    finally:
        host.run("docker rm -f proxycheck")


def test_docker_group_member_runs_docker_without_sudo(host):
    assert "docker" in host.user("student").groups
    as_student = host.run("su - student -c 'docker ps --format {{.ID}}'")
    assert as_student.rc == 0, as_student.stderr
    as_outsider = host.run("su -s /bin/sh nobody -c 'docker ps'")
    assert as_outsider.rc != 0
    assert "permission denied" in as_outsider.stderr.lower()


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/docker", "root", "root", 0o755),
        ("/etc/docker/daemon.json", "root", "root", 0o644),
        ("/run/docker.sock", "root", "docker", 0o660),
        ("/lib/systemd/system/docker.service", "root", "root", 0o644),
        ("/lib/systemd/system/docker.socket", "root", "root", 0o644),
    ],
)
def test_cis_file_ownership_and_modes(host, path, owner, group, mode):
    item = host.file(path)
    assert item.exists
    assert (item.user, item.group, item.mode) == (owner, group, mode)


def test_compose_is_installed(host):
    assert host.run("docker compose version || docker-compose version").rc == 0


def test_bad_input_fails_first_and_changes_nothing(host):
    before = (host.file("/etc/docker/daemon.json").sha256sum, dockerd_pid(host))
    cases = [
        ({"docker_engine_daemon_config": {"live-restore": "yes"}},
         "docker_engine_daemon_config: 'live-restore' must be a boolean"),
        ({"docker_engine_install_source": "snap"}, "docker_engine_install_source"),
        ({"docker_engine_daemon_config": {"hosts": ["unix:///var/run/docker.sock"]}},
         "daemon.json and the dockerd flags of docker.service both set hosts"),
        ({"docker_engine_users": ["student", "nosuchuser"]}, "docker_engine_users: nosuchuser does not exist on"),
        ({"docker_engine_gpu": "maybe"}, "docker_engine_gpu must be auto, true or false"),
    ]
    for extra_vars, message in cases:
        result = run_playbook("converge.yml", extra_vars)
        assert result.returncode != 0, f"{extra_vars} was accepted"
        assert message in result.output, result.output[-2000:]
        assert result.recap(host_name(host))["changed"] == 0
    assert (host.file("/etc/docker/daemon.json").sha256sum, dockerd_pid(host)) == before
    assert "student" in host.user("student").name


def test_one_option_change_restarts_docker_once_and_containers_keep_running(host):
    host.check_output(f"docker run -d --name keeper {HELLO} /bin/busybox sleep 3600")
    keeper_pid = host.check_output("docker inspect --format '{{.State.Pid}}' keeper")
    pid_before, starts_before = dockerd_pid(host), docker_starts(host)
    changed = {"docker_engine_daemon_config_host": {"labels": ["lab=molecule", "changed=yes"]}}

    result = run_playbook("converge.yml", changed)
    assert result.returncode == 0, result.output[-3000:]
    assert dockerd_pid(host) != pid_before
    assert docker_starts(host) == starts_before + 1
    assert "changed=yes" in docker_info(host)["Labels"]
    # live-restore: the container kept running across the restart, as the same process
    assert host.check_output("docker inspect --format '{{.State.Running}} {{.State.Pid}}' keeper") == f"true {keeper_pid}"

    again = run_playbook("converge.yml", changed)
    assert again.returncode == 0
    assert again.recap(host_name(host))["changed"] == 0
    assert docker_starts(host) == starts_before + 1
    host.run("docker rm -f keeper")


def test_forced_gpu_setup_registers_the_nvidia_runtime(host):
    # No GPU here: force the setup, skip the toolkit download, check the generated config.
    gpu = {"docker_engine_gpu": True, "docker_engine_nvidia_toolkit_install": False}
    result = run_playbook("converge.yml", gpu)
    assert result.returncode == 0, result.output[-3000:]
    assert daemon_json(host)["runtimes"] == {"nvidia": {"path": "nvidia-container-runtime", "runtimeArgs": []}}
    assert "nvidia" in docker_info(host)["Runtimes"]

    result = run_playbook("converge.yml", {"docker_engine_gpu": "auto"})
    assert result.returncode == 0, result.output[-3000:]
    assert "runtimes" not in daemon_json(host)
    assert "nvidia" not in docker_info(host)["Runtimes"]


# --------------------------------------------------------------------------- the operator's daemon.json


def write_bytes(host, path: str, data: bytes) -> None:
    """Write exactly these bytes, as an operator's editor would."""
    host.check_output(f"echo {base64.b64encode(data).decode()} | base64 -d > {path}")


def read_bytes(host, path: str) -> bytes:
    return base64.b64decode(host.check_output(f"base64 -w0 {path}"))


def backups(host) -> list[str]:
    return host.check_output("ls -1 /etc/docker/ | grep -E '^daemon[.]json[.].*[.]labforge-backup$' || true").split()


def converge(host, extra_vars: dict | None = None, *args: str) -> dict[str, int]:
    result = run_playbook("converge.yml", extra_vars, *args)
    assert result.returncode == 0, result.output[-3000:]
    return result.recap(host_name(host))


def test_the_record_is_root_only_and_changes_to_the_roles_own_file_keep_no_backup(host):
    record = host.file(RECORD)
    assert (record.user, record.group, record.mode) == ("root", "root", 0o600)
    assert host.file("/var/lib/labforge/docker_engine").mode == 0o700
    assert host.run(f"su -s /bin/sh nobody -c 'cat {RECORD}'").rc != 0
    written = json.loads(record.content_string)
    # every key in the file so far is the role's own
    assert written["settings"] == daemon_json(host)
    assert written["daemon_json_sha256"] == host.file(DAEMON_JSON).sha256sum
    # the tests above changed daemon.json several times, always the role's own file
    assert backups(host) == []


def test_a_hand_added_key_stays_and_the_first_change_keeps_a_backup(host):
    by_hand = daemon_json(host)
    by_hand["debug"] = True
    by_hand["labels"] = [*by_hand["labels"], "owner=ops"]
    # compact, keys unsorted: not the role's layout
    hand_written = json.dumps(dict(reversed(list(by_hand.items())))).encode()
    write_bytes(host, DAEMON_JSON, hand_written)
    host.check_output("systemctl restart docker")
    assert docker_info(host)["Debug"] is True

    # a re-run that wants nothing new leaves the file as the operator wrote it, and backs up nothing
    assert converge(host)["changed"] == 0
    assert read_bytes(host, DAEMON_JSON) == hand_written
    assert backups(host) == []

    # the first change keeps the file it found, byte for byte, root-only
    pid_before = dockerd_pid(host)
    assert converge(host, {"docker_engine_daemon_config_host": {"labels": ["lab=molecule", "rerun=yes"]}})["changed"] > 0
    settings = daemon_json(host)
    assert settings["debug"] is True
    assert settings["labels"] == ["lab=molecule", "owner=ops", "rerun=yes"]
    (backup,) = backups(host)
    assert read_bytes(host, f"/etc/docker/{backup}") == hand_written
    assert (host.file(f"/etc/docker/{backup}").user, host.file(f"/etc/docker/{backup}").mode) == ("root", 0o600)
    # dockerd was restarted once by the role and runs with the operator's key and the new label
    assert dockerd_pid(host) != pid_before
    info = docker_info(host)
    assert info["Debug"] is True
    assert {"owner=ops", "rerun=yes"} <= set(info["Labels"])

    # the role's label goes when its variable goes; the operator's stays; no second backup of
    # the role's own file
    assert converge(host)["changed"] > 0
    settings = daemon_json(host)
    assert settings["labels"] == ["lab=molecule", "owner=ops"]
    assert settings["debug"] is True
    assert backups(host) == [backup]
    assert "owner=ops" in docker_info(host)["Labels"]


def test_check_diff_on_a_converged_host_changes_nothing(host):
    before = (read_bytes(host, DAEMON_JSON), read_bytes(host, RECORD), backups(host), dockerd_pid(host))
    result = run_playbook("converge.yml", None, "--check", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(host_name(host))["changed"] == 0

    pending = {"docker_engine_daemon_config_host": {"labels": ["lab=molecule", "pending=yes"]}}
    result = run_playbook("converge.yml", pending, "--check", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(host_name(host))["changed"] > 0
    assert re.search(r'^\+\s+"pending=yes"', result.output, re.MULTILINE), result.output[-3000:]
    assert (read_bytes(host, DAEMON_JSON), read_bytes(host, RECORD), backups(host), dockerd_pid(host)) == before


def test_null_removes_a_key_of_the_host_file_and_of_the_defaults(host):
    removing = {
        "docker_engine_daemon_config": {**GROUP_LAYER, "icc": None},
        "docker_engine_daemon_config_host": {**HOST_LAYER, "debug": None},
    }
    assert converge(host, removing)["changed"] > 0
    settings = daemon_json(host)
    assert "debug" not in settings  # the operator's, from the host's file
    assert "icc" not in settings  # the role's default
    assert settings["labels"] == ["lab=molecule", "owner=ops"]
    assert docker_info(host)["Debug"] is False
    assert converge(host, removing)["changed"] == 0

    # without the nulls the default comes back; the operator's key, removed on request, does not
    assert converge(host)["changed"] > 0
    settings = daemon_json(host)
    assert settings["icc"] is False
    assert "debug" not in settings


@pytest.mark.parametrize(
    ("found", "problem"),
    [
        (b'{"debug": true,,\n}\n', "is not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        (b'[{"debug": true}]\n', "holds an array, not a JSON object"),
    ],
    ids=["not-json", "an-array"],
)
def test_a_malformed_daemon_json_fails_first_and_is_left_untouched(host, found, problem):
    good = read_bytes(host, DAEMON_JSON)
    before = (read_bytes(host, RECORD), backups(host), dockerd_pid(host))
    write_bytes(host, DAEMON_JSON, found)
    try:
        result = run_playbook("converge.yml", {"docker_engine_daemon_config_host": {"labels": ["lab=changed"]}})
        assert result.returncode != 0, "a malformed daemon.json was accepted"
        assert f"{DAEMON_JSON} on {host_name(host)} {problem}" in result.output, result.output[-2000:]
        assert "must hold one JSON object" in result.output
        assert result.recap(host_name(host))["changed"] == 0
        assert read_bytes(host, DAEMON_JSON) == found
        assert (read_bytes(host, RECORD), backups(host), dockerd_pid(host)) == before
    finally:
        write_bytes(host, DAEMON_JSON, good)


# --------------------------------------------------------------------------- nothing dockerd refuses is written


def host_state(host) -> tuple:
    return read_bytes(host, DAEMON_JSON), read_bytes(host, RECORD), dockerd_pid(host)


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        ({"docker_engine_registry_mirrors": ["not a url"]},
         "docker_engine_registry_mirrors[0] is 'not a url', its scheme '' is not http or https; "
         "accepted: an http:// or https:// URL"),
        ({"docker_engine_data_root": "docker"},
         "docker_engine_data_root is 'docker', a relative path (dockerd does not start with one); "
         "accepted: an absolute path"),
        ({"docker_engine_default_address_pools": [{"base": "10.213.0.0/16", "size": 24},
                                                  {"base": "10.213.128.0/17", "size": 24}]},
         "docker_engine_default_address_pools[1].base 10.213.128.0/17 overlaps pool [0] (10.213.0.0/16)"),
        ({"docker_engine_daemon_config": {**GROUP_LAYER, "log-opts": {"max-file": "0"}}},
         "docker_engine_daemon_config: log-opts.max-file is '0'; accepted: a positive integer as a string"),
        ({"docker_engine_daemon_config_host": {**HOST_LAYER, "log-driver": "journald"}},
         "docker_engine_daemon_config_host: log-opts.max-"),
    ],
    ids=["mirror-not-a-url", "relative-data-root", "overlapping-pools", "max-file-0", "journald-with-max-size"],
)
def test_a_value_dockerd_would_refuse_fails_before_anything_is_written(host, extra_vars, message):
    before = host_state(host)
    result = run_playbook("converge.yml", extra_vars)
    assert result.returncode != 0, f"{extra_vars} was accepted"
    assert message in result.output, result.output[-2000:]
    assert result.recap(host_name(host))["changed"] == 0
    # byte-identical daemon.json and record, the same dockerd process
    assert host_state(host) == before


def test_a_change_docker_does_not_come_back_from_is_rolled_back_in_time(host):
    """dockerd 20.10 refuses to start with a data-root that is an existing regular file
    ("canonical path points to a file"); the role's checks cannot know that the path is a file."""
    assert converge(host)["changed"] == 0
    host.check_output(f"docker run -d --name survivor {HELLO} /bin/busybox sleep 3600")
    try:
        survivor = host.check_output("docker inspect --format '{{.State.Pid}}' survivor")
        before = (read_bytes(host, DAEMON_JSON), read_bytes(host, RECORD))
        pid_before = dockerd_pid(host)

        started = time.monotonic()
        result = run_playbook("converge.yml", {"docker_engine_data_root": "/etc/hostname"})
        took = time.monotonic() - started

        assert result.returncode != 0, "a data-root dockerd refuses was left in place"
        assert took < 120, f"the failed change took {took:.0f} s"
        output = " ".join(result.output.split())
        assert f"docker did not come back on {host_name(host)} after the change of {DAEMON_JSON}" in output, output[-3000:]
        # dockerd's own reason, from the journal, and the variable behind it
        assert "Unable to get the full path to root (/etc/hostname): canonical path points to a file" in output
        assert "The change came from: docker_engine_data_root (data-root)." in output
        assert "was put back as it was before this run; docker runs again with it." in output

        assert (read_bytes(host, DAEMON_JSON), read_bytes(host, RECORD)) == before
        assert host.service("docker").is_running
        assert dockerd_pid(host) != pid_before
        assert docker_info(host)["DockerRootDir"] == "/var/lib/docker/lab"
        # live-restore: the container ran on through the failed start and the rollback
        state = host.check_output("docker inspect --format '{{.State.Running}} {{.State.Pid}}' survivor")
        assert state == f"true {survivor}"
    finally:
        host.run("docker rm -f survivor")
    # the host is as converged: nothing left to do
    assert converge(host)["changed"] == 0
