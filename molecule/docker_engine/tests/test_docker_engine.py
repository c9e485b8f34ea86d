"""docker_engine on a real systemd host: the engine runs as configured, pulls from the rig's
registry, serves the docker group, restarts once per change without killing containers,
and refuses bad input before touching anything.

The tests run in file order; the last ones change the host's configuration and put it back.
"""

import json
import os

import pytest
from labforge_testlib import host_name, run_playbook

REGISTRY = os.environ.get("LABFORGE_TEST_REGISTRY", "127.0.0.1:5000")
HELLO = f"{REGISTRY}/labforge/hello:1"


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
        ({"docker_engine_users": ["student", "nosuchuser"]}, "docker_engine_users: nosuchuser"),
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
