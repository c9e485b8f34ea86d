"""docker_engine's distro install plan, templated by a real ansible-playbook from the role's vars.

`__docker_engine_distro_install` decides what apt-get installs from the host read: nothing
when the engine is installed at the wanted version, so a re-run makes no apt call.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROLE = Path(__file__).resolve().parents[2] / "roles" / "docker_engine"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
if not ANSIBLE_PLAYBOOK.exists():
    ANSIBLE_PLAYBOOK = Path(shutil.which("ansible-playbook") or "ansible-playbook")


def installed(version: str = "20.10.24+dfsg1-1+deb12u1+b6", state: str = "ii") -> dict:
    return {"version": version, "installed": state[1] == "i", "selection": "install"}


# case: (host packages, docker_engine_version, docker_engine_compose, expected apt-get arguments)
CASES = {
    "fresh host": ({}, "", False, ["docker.io"]),
    "installed": ({"docker.io": installed()}, "", False, []),
    "only its config files left": ({"docker.io": installed(state="rc")}, "", False, ["docker.io"]),
    "pinned, installed at that version": ({"docker.io": installed()}, "20.10.24+dfsg1-1+deb12u1+b6", False, []),
    "pinned by prefix, installed within it": ({"docker.io": installed()}, "20.10*", False, []),
    "pinned elsewhere": ({"docker.io": installed()}, "24.0*", False, ["docker.io=24.0*"]),
    "pinned, not a prefix without the star": ({"docker.io": installed()}, "20.10", False, ["docker.io=20.10"]),
    "compose missing": ({"docker.io": installed()}, "", True, ["docker-compose"]),
    "fresh host, pinned, with compose": ({}, "20.10*", True, ["docker.io=20.10*", "docker-compose"]),
}


def playbook() -> list[dict]:
    tasks = [
        {
            "name": name,
            "ansible.builtin.debug": {"msg": "PLAN {{ __docker_engine_distro_install | to_json }}"},
            "vars": {
                "__docker_engine_host": {"packages": packages},
                "docker_engine_version": version,
                "docker_engine_compose": compose,
            },
        }
        for name, (packages, version, compose, _) in CASES.items()
    ]
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")],
            "tasks": tasks,
        }
    ]


def test_the_install_plan_follows_the_host_read(tmp_path: Path) -> None:
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    (tmp_path / "play.yml").write_text(json.dumps(playbook(), indent=1))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
        "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),
        "ANSIBLE_HOME": str(tmp_path / "home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_LOCALHOST_WARNING": "0",
    }
    run = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", "play.yml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    plans = {
        task: json.loads(json.loads(f'"{plan}"'))
        for task, plan in re.findall(r'TASK \[(.+?)\] \*+\nok: \[localhost\] => \{\n\s+"msg": "PLAN (.*)"', run.stdout)
    }
    assert plans == {name: case[3] for name, case in CASES.items()}
