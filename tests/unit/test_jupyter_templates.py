"""The jupyter role's templates for each instance's settings (instance.env, container.env,
jupyter_server_config.json), rendered by a real ansible-playbook through instance_settings.j2,
as configure.yml renders them."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labforge_filters.jupyter_instances import jupyter_instances_check
from labforge_filters.jupyter_runtime import jupyter_instances_storage

TOP = Path(__file__).resolve().parents[2]
TEMPLATES = TOP / "roles" / "jupyter" / "templates"
HEADER = "# managed"
TOKEN = "token-of-sixteen-chars"
DIGEST = "sha256:" + "a" * 64
IMAGE = "127.0.0.1:5000/labforge/jupyter-test:1"
DEFAULTS = {"image": IMAGE, "bind_address": "127.0.0.1", "memory": "1g", "cpus": 1, "pids_limit": 256,
            "ui": "lab", "base_url": "/", "port_range": [8888, 8999]}
IMAGES = [{"Id": "sha256:" + "b" * 64, "RepoTags": [IMAGE],
           "RepoDigests": [f"127.0.0.1:5000/labforge/jupyter-test@{DIGEST}"]}]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, dict[str, str]]:
    instances = jupyter_instances_check(
        [
            {"name": "a", "token": TOKEN, "env": {"b": "2", "B": "1", "A": "x y"}, "gpus": "device=0,1"},
            {"name": "pw", "password": "pa55word-x", "volume": "/srv/pw", "base_url": "/pw", "ui": "notebook"},
            {"name": "old", "token": TOKEN, "bind_address": "::", "cpus": 0.5, "memory": "512m"},
        ],
        DEFAULTS,
        {"old": 8890},
    )
    running = jupyter_instances_storage(instances, {"ports": {"old": 8890}})
    work = tmp_path_factory.mktemp("templates")
    variables = {"__jupyter_running": running, "__jupyter_tokens": {"a": TOKEN, "old": TOKEN},
                 "__jupyter_images_info": IMAGES, "__jupyter_managed_header": HEADER}
    (work / "vars.json").write_text(json.dumps(variables))
    # base64, so that Ansible hands the JSON to copy as text.
    (work / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.copy:\n"
        f"        dest: {work}/out.b64\n"
        f"        content: \"{{{{ lookup('ansible.builtin.template', '{TEMPLATES}/instance_settings.j2') | b64encode }}}}\"\n"
        "        mode: '0600'\n"
    )
    env = {**os.environ, "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", "-e", f"@{work}/vars.json", str(work / "play.yml")],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(base64.b64decode((work / "out.b64").read_text()))


def test_every_running_instance_gets_its_three_files(rendered):
    assert {name: sorted(files) for name, files in rendered.items()} == {
        name: ["container.env", "instance.env", "jupyter_server_config.json"] for name in ("a", "pw", "old")}


def test_instance_env_holds_the_units_settings_with_the_image_pinned(rendered):
    assert rendered["a"]["instance.env"] == (
        f"{HEADER}\n"
        f"# Jupyter instance a; image {IMAGE}\n"
        "JUPYTER_CONTAINER=labforge-jupyter-a\n"
        f"JUPYTER_IMAGE=127.0.0.1:5000/labforge/jupyter-test@{DIGEST}\n"
        "JUPYTER_PUBLISH=127.0.0.1:8888:8888\n"
        "JUPYTER_HOME_MOUNT=type=volume,source=jupyter-a,target=/home/jovyan\n"
        "JUPYTER_WORK_MOUNT=\n"
        "JUPYTER_UI=lab\n"
        "JUPYTER_MEMORY=1073741824\n"
        "JUPYTER_CPUS=1\n"
        "JUPYTER_PIDS_LIMIT=256\n"
        # Quoted for systemd's EnvironmentFile and its splitting of $JUPYTER_GPUS, and inside for
        # Docker's CSV: one request for GPUs 0 and 1 (molecule/jupyter checks what Docker gets).
        """JUPYTER_GPUS='--gpus=\\"device=0,1\\"'\n"""
    )


def test_a_host_directory_is_bound_and_an_earlier_instance_keeps_its_volume_at_work(rendered):
    pw = rendered["pw"]["instance.env"].splitlines()
    assert "JUPYTER_HOME_MOUNT=type=bind,source=/srv/pw,target=/home/jovyan" in pw
    assert "JUPYTER_UI=notebook" in pw and "JUPYTER_GPUS=" in pw
    old = rendered["old"]["instance.env"].splitlines()
    assert "JUPYTER_HOME_MOUNT=type=volume,source=jupyter-old-home,target=/home/jovyan" in old
    assert "JUPYTER_WORK_MOUNT=--mount=type=volume,source=jupyter-old,target=/home/jovyan/work" in old
    assert "JUPYTER_PUBLISH=[::]:8890:8888" in old and "JUPYTER_CPUS=0.5" in old


def test_container_env_holds_the_instances_env_sorted(rendered):
    assert rendered["a"]["container.env"] == f"{HEADER}\nA=x y\nB=1\nb=2\n"
    assert rendered["pw"]["container.env"] == f"{HEADER}\n"


def test_server_config_holds_the_token_or_the_password_hash_and_no_token(rendered):
    token = json.loads(rendered["a"]["jupyter_server_config.json"])
    calls_no_one = {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    "extension_manager": "readonly"}
    assert token == {"IdentityProvider": {"token": TOKEN}, "ServerApp": {"base_url": "/"}, "LabApp": calls_no_one}
    password = json.loads(rendered["pw"]["jupyter_server_config.json"])
    assert password["IdentityProvider"] == {"token": ""}
    assert password["PasswordIdentityProvider"]["password_required"] is True
    assert password["PasswordIdentityProvider"]["hashed_password"].startswith("argon2:")
    assert password["ServerApp"] == {"base_url": "/pw/"}
    assert password["LabApp"] == calls_no_one
    # As json.dumps(indent=2, sort_keys=True) writes it, so that files written before stay unchanged.
    assert rendered["a"]["jupyter_server_config.json"] == json.dumps(token, indent=2, sort_keys=True) + "\n"
    assert rendered["pw"]["jupyter_server_config.json"] == json.dumps(password, indent=2, sort_keys=True) + "\n"


def test_no_token_reaches_the_env_files(rendered):
    for files in rendered.values():
        assert TOKEN not in files["instance.env"] + files["container.env"]
