"""The example lab pulls through its registry mirror: its Jupyter images resolve, through the
filter registry_mirror_image, to references that name the mirror's cache of their registry, and
its engines list the mirror for Docker Hub and as an insecure registry. A real ansible run on
the controller (no host is contacted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
EXAMPLE = TOP / "inventories" / "example-lab"
EXPRESSION = ("{{ [jupyter_image, jupyter_instances[0].image, docker_engine_registry_mirrors, "
              "docker_engine_insecure_registries] | to_json }}")


def test_the_example_lab_pulls_its_images_through_the_mirror():
    env = {**os.environ, "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    command = [str(Path(sys.executable).parent / "ansible"), "-i", str(EXAMPLE), "lab2.example.org", "-c", "local",
               "--vault-password-file", str(EXAMPLE / "vault-password.txt"), "-m", "ansible.builtin.debug",
               "-a", f"msg={EXPRESSION}"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=TOP)
    assert done.returncode == 0, done.stdout + done.stderr
    values = json.loads(json.loads(done.stdout[done.stdout.index("{"):])["msg"])
    assert values == [
        "mirror.lab.example.org:5001/jupyter/scipy-notebook:2025-10-20",
        "mirror.lab.example.org:5001/jupyter/pytorch-notebook:2025-10-20",
        ["http://mirror.lab.example.org:5000"],
        ["mirror.lab.example.org:5000", "mirror.lab.example.org:5001"],
    ]
