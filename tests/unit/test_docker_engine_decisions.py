"""docker_engine's decisions, run by a real ansible-playbook from the role's own decide_*.yml tasks.

`decide_packages.yml` works out what apt-get installs from the host read: nothing when the
engine is installed at the wanted version, so a re-run makes no apt call. `decide_service.yml`
works out whether the service task runs: from the state the install printed when it ran, else
from the host read. `decide_daemon_json.yml` works out what daemon.json becomes, whether the
file found is backed up first, and which checksum the role records.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
ROLE = TOP / "roles" / "docker_engine"


def installed(version: str = "20.10.24+dfsg1-1+deb12u1+b6", state: str = "ii") -> dict:
    return {"version": version, "installed": state[1] == "i", "selection": "install"}


USED = ["apparmor", "ca-certificates", "pigz", "xz-utils"]  # the recommends of docker.io that the engine uses, when missing

# case: (host packages, docker_engine_version, docker_engine_compose, expected apt-get arguments)
CASES = {
    "fresh host": ({}, "", False, ["docker.io", *USED]),
    "fresh engine, ca-certificates there (not upgraded)": (
        {"ca-certificates": installed("20230311")}, "", False, ["docker.io", "apparmor", "pigz", "xz-utils"]),
    "installed": ({"docker.io": installed()}, "", False, []),
    "only its config files left": ({"docker.io": installed(state="rc")}, "", False, ["docker.io", *USED]),
    "pinned, installed at that version": ({"docker.io": installed()}, "20.10.24+dfsg1-1+deb12u1+b6", False, []),
    "pinned by prefix, installed within it": ({"docker.io": installed()}, "20.10*", False, []),
    "pinned elsewhere": ({"docker.io": installed()}, "24.0*", False, ["docker.io=24.0*", *USED]),
    "pinned, not a prefix without the star": ({"docker.io": installed()}, "20.10", False, ["docker.io=20.10", *USED]),
    "compose missing": ({"docker.io": installed()}, "", True, ["docker-compose"]),
    "fresh host, pinned, with compose": ({}, "20.10*", True, ["docker.io=20.10*", *USED, "docker-compose"]),
}


# case: (host packages, whether /usr/bin/docker is there, expected apt-get arguments). Debian 13's
# docker.io only recommends docker-cli: an engine installed without recommends has no command.
CLI_CASES = {
    "engine installed without its command": ({"docker.io": installed()}, False, ["docker-cli"]),
    "engine installed with its command": ({"docker.io": installed()}, True, []),
    "fresh host: the install adds docker-cli where the distribution has it": ({}, False, ["docker.io", *USED]),
}


APT_TAIL = "Setting up docker.io (20.10.24+dfsg1-1+deb12u1+b6) ...\n"


def read(active: str, enabled: str) -> dict:
    return {"packages": {}, "unit_state": {"active": active, "enabled": enabled}}


# case: (host read, the install's result, docker_engine_service_state, _enabled, expected as wanted)
SERVICE_CASES = {
    "fresh host, the package started and enabled it": (
        read("", ""), {"stdout": APT_TAIL + "ActiveState=active\nUnitFileState=enabled"}, "started", True, True),
    "fresh host, a policy kept it from starting": (
        read("", ""), {"stdout": APT_TAIL + "ActiveState=inactive\nUnitFileState=enabled"}, "started", True, False),
    "fresh host, no systemctl output": (read("", ""), {"stdout": APT_TAIL}, "started", True, False),
    "upgrade restarted an engine meant to be stopped": (
        read("inactive", "disabled"), {"stdout": APT_TAIL + "ActiveState=active\nUnitFileState=enabled"},
        "stopped", False, False),
    "no install, running as wanted": (read("active", "enabled"), {"skipped": True}, "started", True, True),
    "no install, stopped but wanted running": (read("inactive", "enabled"), {"skipped": True}, "started", True, False),
    "no install, stopped and disabled as wanted": (
        read("inactive", "disabled"), {"skipped": True}, "stopped", False, True),
}


def nice(settings: dict) -> str:
    """daemon.json as the role writes it."""
    return json.dumps(settings, indent=2, sort_keys=True) + "\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def found(content: str | None, settings: dict | None = None) -> dict:
    """The host read's daemon_json: absent when content is None."""
    if content is None:
        return {"exists": False, "content": "", "sha256": "", "settings": {}, "backup_path": "/b"}
    return {"exists": True, "content": content, "sha256": sha(content), "settings": settings, "backup_path": "/b"}


OPERATORS = '{"icc":false, "debug":true}'
OWN = nice({"icc": False})
# case: (daemon.json found, checksum in the record, merged settings,
#        expected: the text written, whether to back up, the checksum recorded)
DAEMON_JSON_CASES = {
    "fresh host": (found(None), "", {"icc": False}, (OWN, False, sha(OWN))),
    "operator's file, already as wanted in another layout: left alone, nothing recorded as the role's": (
        found(OPERATORS, {"icc": False, "debug": True}), "", {"debug": True, "icc": False},
        (OPERATORS, False, "")),
    "operator's file, changed: backed up": (
        found(OPERATORS, {"icc": False, "debug": True}), "", {"debug": True, "icc": True},
        (nice({"debug": True, "icc": True}), True, sha(nice({"debug": True, "icc": True})))),
    "the role's own file, changed: no backup": (
        found(OWN, {"icc": False}), sha(OWN), {"icc": True}, (nice({"icc": True}), False, sha(nice({"icc": True})))),
    "the role's own file, unchanged: the record kept": (
        found(OWN, {"icc": False}), sha(OWN), {"icc": False}, (OWN, False, sha(OWN))),
    "edited by hand since the role wrote it, changed: backed up": (
        found(OPERATORS, {"icc": False, "debug": True}), sha(OWN), {"icc": True, "debug": True},
        (nice({"debug": True, "icc": True}), True, sha(nice({"debug": True, "icc": True})))),
    "1 is not true in JSON: rewritten": (
        found('{"debug": 1}', {"debug": 1}), "", {"debug": True}, (nice({"debug": True}), True, sha(nice({"debug": True})))),
}


# The set_fact tasks in each decide file: the run counts them as ok, besides each case's include and assert.
DECIDE_TASKS = {"decide_packages.yml": 2, "decide_service.yml": 1, "decide_daemon_json.yml": 3}


def case(name: str, decide: str, check: dict, case_vars: dict) -> dict:
    """Run one decide file with the case's variables, then check what it decided."""
    return {
        "name": name,
        "vars": case_vars,
        "block": [
            {"name": f"{name}: decide", "ansible.builtin.include_tasks": str(ROLE / "tasks" / decide)},
            {"name": f"{name}: check", "ansible.builtin.assert": {**check, "quiet": True}},
        ],
    }


def install_plan_case(name: str, host: dict, version: str, compose: bool, expected: list) -> dict:
    return case(name, "decide_packages.yml", {
        "that": "__docker_engine_distro_install == expected",
        "fail_msg": "got {{ __docker_engine_distro_install | to_json }}, expected {{ expected | to_json }}",
    }, {"__docker_engine_host": host, "docker_engine_version": version,
        "docker_engine_compose": compose, "expected": expected})


def playbook() -> list[dict]:
    tasks = [
        install_plan_case(name, {"packages": packages}, version, compose, expected)
        for name, (packages, version, compose, expected) in CASES.items()
    ] + [
        install_plan_case(name, {"packages": packages, "paths": {"/usr/bin/docker": cli}}, "", False, expected)
        for name, (packages, cli, expected) in CLI_CASES.items()
    ] + [
        case(name, "decide_service.yml", {
            "that": "__docker_engine_service_as_wanted | bool == expected",
            "fail_msg": "got {{ __docker_engine_service_as_wanted }}, expected {{ expected }}",
        }, {
            "__docker_engine_host": host,
            "__docker_engine_apt_get": result,
            "docker_engine_service_state": state,
            "docker_engine_service_enabled": enabled,
            "expected": expected,
        })
        for name, (host, result, state, enabled, expected) in SERVICE_CASES.items()
    ] + [
        case(name, "decide_daemon_json.yml", {
            "that": [
                "__docker_engine_daemon_text == expected[0]",
                "__docker_engine_daemon_backup | bool == expected[1]",
                "(__docker_engine_daemon_record_text | from_json).daemon_json_sha256 == expected[2]",
                "__docker_engine_daemon_rewrite | bool == (expected[0] != __docker_engine_host.daemon_json.content)",
            ],
            "fail_msg": "got {{ [__docker_engine_daemon_text, __docker_engine_daemon_backup,"
                        " (__docker_engine_daemon_record_text | from_json).daemon_json_sha256] | to_json }},"
                        " expected {{ expected | to_json }}",
        }, {
            "__docker_engine_host": {"daemon_json": daemon_json, "daemon_json_state": {"sha256": recorded}},
            "__docker_engine_daemon_settings": settings,
            "__docker_engine_daemon_managed": settings,
            "expected": list(expected),
        })
        for name, (daemon_json, recorded, settings, expected) in DAEMON_JSON_CASES.items()
    ]
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")],
            "tasks": tasks,
        }
    ]


def test_the_decide_tasks_follow_the_host_read(tmp_path: Path) -> None:
    (tmp_path / "play.yml").write_text(json.dumps(playbook(), indent=1))
    env = {**os.environ, "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(tmp_path / "play.yml")]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=TOP)
    assert run.returncode == 0, run.stdout + run.stderr
    checks = {"decide_packages.yml": len(CASES) + len(CLI_CASES), "decide_service.yml": len(SERVICE_CASES),
              "decide_daemon_json.yml": len(DAEMON_JSON_CASES)}
    expected_ok = sum(count * (DECIDE_TASKS[decide] + 2) for decide, count in checks.items())
    assert f"ok={expected_ok} " in run.stdout and " failed=0 " in run.stdout, run.stdout
