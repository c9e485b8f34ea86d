"""The shims inside a real ansible-playbook run.

filter_plugins is given through ANSIBLE_FILTER_PLUGINS, the configured-path case in
which Ansible also loads every module of labforge_filters/ as a plugin file; the run
must not warn about them. The playbook is written as JSON (which is YAML) so that
the Jinja expressions need no YAML quoting.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.security import passwd_check

FILTER_PLUGINS = Path(__file__).resolve().parents[2] / "filter_plugins"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
if not ANSIBLE_PLAYBOOK.exists():
    ANSIBLE_PLAYBOOK = Path(shutil.which("ansible-playbook") or "ansible-playbook")
CPUINFO = "processor : 0\nflags : fpu vmx lm\n"

CHECKS = [
    "salted_hash == ('correct horse' | jupyter_password_hash('labforge-salt'))",
    "salted_hash | jupyter_password_check('correct horse')",
    "not (salted_hash | jupyter_password_check('wrong horse'))",
    "'sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a' | jupyter_password_is_hashed",
    "not ('hunter2' | jupyter_password_is_hashed)",
    "('ubuntu:24.04' | docker_image_ref) == {'registry': 'docker.io', 'repository': 'library/ubuntu', 'tag': '24.04',"
    " 'digest': none, 'name': 'docker.io/library/ubuntu:24.04', 'familiar': 'ubuntu:24.04'}",
    "('index.docker.io/ubuntu' | docker_image_normalize) == 'docker.io/library/ubuntu:latest'",
    "({'a': {'b': 1}, 'l': [1]} | docker_daemon_merge({'a': {'c': 2}, 'l': [2, 1]}, {'a': {'b': none}}))"
    " == {'a': {'c': 2}, 'l': [1, 2]}",
    "({'hosts': [], 'containerd': 'x', 'debug': true} | docker_daemon_flag_clashes("
    "'/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock')) == ['containerd', 'hosts']",
    "(instances | jupyter_port_plan({'alice': 8888})) == {'alice': 8889, 'bob': 8888}",
    "(instances | jupyter_port_plan(none, 9000, 9010)) == {'alice': 9000, 'bob': 8888}",
    "('1.5g' | size_bytes) == 1610612736",
    "(4096 | size_bytes) == 4096",
    "'2GiB' | size_valid",
    "not ('12XB' | size_valid)",
    "(cpuinfo | virt_capability(true, {'booted': false, 'detail': 'hang'})).accel == 'tcg'",
    "(cpuinfo | virt_capability(true, 'passed') | virt_accel_choice('auto')) == 'kvm'",
    "(cpuinfo | virt_capability(false) | virt_accel_choice('auto')) == 'tcg'",
    r"('/srv/jupyter-data/' | systemd_escape(true)) == 'srv-jupyter\\x2ddata'",
    "('Data Lab/2' | systemd_escape | systemd_unescape) == 'Data Lab/2'",
    "('A' | systemd_env_quote('50% \"x\"')) == '\"A=50%% \\\\\"x\\\\\"\"'",
]
ERRORS = [
    ("'12XB' | size_bytes", "size_bytes: invalid size '12XB'; accepted:"),
    (
        "'Ubuntu' | docker_image_ref",
        "docker_image_ref: invalid image reference 'Ubuntu': repository name 'Ubuntu' must be lowercase",
    ),
    (
        "[{'name': 'a', 'port': 1}, {'name': 'b', 'port': 1}] | jupyter_port_plan",
        "instances 'a' and 'b' both ask for port 1",
    ),
    (
        "cpuinfo | virt_capability(true) | virt_accel_choice('kvm')",
        "virt_accel_choice: hypervisor_accel is 'kvm' but KVM is not usable",
    ),
    ("{} | docker_daemon_merge([])", "docker_daemon_merge: layer 1 (argument 2) must be a mapping"),
]


def playbook() -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = [
        {
            "name": "Hash once",
            "ansible.builtin.set_fact": {
                "salted_hash": "{{ 'correct horse' | jupyter_password_hash('labforge-salt') }}"
            },
        },
        {"name": "Every filter answers", "ansible.builtin.assert": {"that": CHECKS, "quiet": True}},
        {"name": "Hash for pytest", "ansible.builtin.debug": {"msg": "HASH={{ salted_hash }}"}},
    ]
    for index, (expression, message) in enumerate(ERRORS):
        tasks.append(
            {
                "name": f"Error {index}",
                "block": [{"ansible.builtin.debug": {"msg": "{{ " + expression + " }}"}}],
                "rescue": [
                    {
                        "ansible.builtin.assert": {
                            "that": ["expected in ansible_failed_result.msg"],
                            "fail_msg": "{{ ansible_failed_result.msg }}",
                            "quiet": True,
                        },
                        "vars": {"expected": message},
                    }
                ],
            }
        )
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "cpuinfo": CPUINFO,
                "instances": [{"name": "alice"}, {"name": "bob", "port": 8888}, {"name": "carol", "state": "absent"}],
            },
            "tasks": tasks,
        }
    ]


class AnsibleRun:
    """One ansible-playbook run, started in the background as soon as collection ends.

    conftest.py's pytest_collection_finish calls :meth:`start` when a test of this
    module is selected, so Ansible's start-up overlaps the other tests.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._result: subprocess.CompletedProcess[str] | None = None

    def start(self) -> None:
        if self._process is not None:
            return
        self._workdir = tempfile.TemporaryDirectory(prefix="labforge-filters-ansible-")
        work = Path(self._workdir.name)
        (work / "ansible.cfg").write_text("[defaults]\n")
        (work / "play.yml").write_text(json.dumps(playbook(), indent=1))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},  # hermetic
            "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
            "ANSIBLE_FILTER_PLUGINS": str(FILTER_PLUGINS),
            "ANSIBLE_HOME": str(work / "home"),
            "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self._process = subprocess.Popen(
            [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", "play.yml"],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> subprocess.CompletedProcess[str]:
        if self._result is None:
            self.start()
            assert self._process is not None
            try:
                stdout, stderr = self._process.communicate(timeout=120)
            finally:
                self.stop()
            self._result = subprocess.CompletedProcess(self._process.args, self._process.returncode, stdout, stderr)
        return self._result

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


ANSIBLE_RUN = AnsibleRun()


@pytest.fixture(scope="module")
def ansible_run() -> subprocess.CompletedProcess[str]:
    return ANSIBLE_RUN.result()


def test_playbook_using_every_filter_passes(ansible_run: subprocess.CompletedProcess[str]) -> None:
    assert ansible_run.returncode == 0, ansible_run.stdout + ansible_run.stderr
    assert re.search(r"ok=\d+ .*failed=0 .*rescued=" + str(len(ERRORS)), ansible_run.stdout)


def test_the_package_is_not_loaded_as_a_plugin_with_warnings(ansible_run: subprocess.CompletedProcess[str]) -> None:
    output = ansible_run.stdout + ansible_run.stderr
    assert "Skipping plugin" not in output
    assert not [line for line in output.splitlines() if "WARNING" in line and "filter_plugins" in line]


def test_hash_made_inside_ansible_verifies_with_jupyter_server(ansible_run: subprocess.CompletedProcess[str]) -> None:
    match = re.search(r'"msg": "HASH=(argon2:[^"]+)"', ansible_run.stdout)
    assert match, ansible_run.stdout
    assert passwd_check(match[1], "correct horse")
    assert not passwd_check(match[1], "wrong horse")
