#!/usr/bin/python
"""Read, in one round trip, everything the jupyter role checks on a host before it changes it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: jupyter_host_info
short_description: What the jupyter role needs to know about a host, read in one round trip
description:
  - Reads whether the Docker CLI is installed, the role's record of its previous run, the
    password hashes in the server configs of password instances, the TCP ports other
    programs listen on, which token files exist, the local images and volumes among the named
    ones, the state of the named systemd units, what the named paths are, and the host's
    CPUs, memory and GPUs.
  - Only reads; it never changes the host, so it runs the same in check mode.
  - Replaces M(ansible.builtin.stat), two M(ansible.builtin.slurp), C(ss), a stat loop,
    M(community.docker.docker_image_info), M(community.docker.docker_volume_info) and
    M(ansible.builtin.systemd_service) queries: one round trip instead of about eight, some of
    them once per instance, on every run (a round trip took about 0.35 s over SSH in
    C(make bench)'s profile, bench/README.md).
options:
  docker:
    description: The Docker CLI.
    type: path
    default: /usr/bin/docker
  state_file:
    description: The role's record of its previous run (JSON); a missing file reads as empty.
    type: path
    required: true
  config_dir:
    description: The role's configuration directory, which holds a directory per instance.
    type: path
    required: true
  password_instances:
    description: The instances with a password, whose server config to read the hash from.
    type: list
    elements: str
    default: []
  token_files:
    description: Paths to report as existing or not.
    type: list
    elements: path
    default: []
  images:
    description: Image references to inspect when they are on the host.
    type: list
    elements: str
    default: []
  volumes:
    description: Docker volume names to inspect when they exist.
    type: list
    elements: str
    default: []
  units:
    description: systemd units whose state to read.
    type: list
    elements: str
    default: []
  paths:
    description: Host paths to report as a directory, a file (anything else) or missing.
    type: list
    elements: path
    default: []
"""

RETURN = r"""
docker:
  description: Whether the Docker CLI is installed.
  type: bool
  returned: always
previous:
  description: The record of the previous run, empty when there is none.
  type: dict
  returned: always
password_hashes:
  description: Instance name to the password hash in its server config, for the configs that have one.
  type: dict
  returned: always
listeners:
  description: C(ss -Hltnp) output, one listening socket per line.
  type: str
  returned: always
token_files:
  description: Each named token file and whether it exists.
  type: dict
  returned: always
images:
  description: C(docker image inspect) of the named images that are on the host.
  type: list
  returned: always
volumes:
  description: C(docker volume inspect) of the named volumes that exist.
  type: list
  returned: always
units:
  description: Each named unit's ActiveState and UnitFileState, as C(active) and C(enabled).
  type: dict
  returned: always
  sample: {"labforge-jupyter@alice.service": {"active": "active", "enabled": "enabled"}}
paths:
  description: Each named path and what it is, C(directory), C(file) or C(missing).
  type: dict
  returned: always
resources:
  description: What the host offers containers - C(cpus) (those the module may run on, as Docker counts them),
    C(memory) (bytes, MemTotal) and C(gpus) (NVIDIA GPUs the driver lists).
  type: dict
  returned: always
  sample: {"cpus": 2, "memory": 25165824000, "gpus": 0}
"""

import json  # noqa: E402
import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.jupyter_docker_cli import inspect  # noqa: E402


def read_previous(path: str) -> dict:
    """The role's record of its previous run; {} when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return {}
    try:
        record = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{path} is not JSON ({error}); remove it to start a new record") from error
    if not isinstance(record, dict):
        raise ValueError(f"{path} must hold a JSON object; remove it to start a new record")
    return record


def password_hash(path: str) -> str | None:
    """The hashed password in a jupyter_server config file, None when absent or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            hashed = json.load(handle)["PasswordIdentityProvider"]["hashed_password"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return hashed if isinstance(hashed, str) else None


def unit_states(output: str) -> list[dict[str, str]]:
    """`systemctl show --property Id,ActiveState,UnitFileState` of several units: blocks split by blank lines."""
    states = []
    for block in output.strip().split("\n\n"):
        properties = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        if properties.get("Id"):
            states.append(properties)
    return states


def path_kind(path: str) -> str:
    if os.path.isdir(path):
        return "directory"
    return "file" if os.path.lexists(path) else "missing"


def resources() -> dict[str, int]:
    memory = 0
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    memory = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        gpus = len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        gpus = 0
    return {"cpus": len(os.sched_getaffinity(0)), "memory": memory, "gpus": gpus}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "docker": {"type": "path", "default": "/usr/bin/docker"},
            "state_file": {"type": "path", "required": True},
            "config_dir": {"type": "path", "required": True},
            "password_instances": {"type": "list", "elements": "str", "default": []},
            "token_files": {"type": "list", "elements": "path", "default": []},
            "images": {"type": "list", "elements": "str", "default": []},
            "volumes": {"type": "list", "elements": "str", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "paths": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    docker = os.path.exists(params["docker"])

    try:
        previous = read_previous(params["state_file"])
    except ValueError as error:
        module.fail_json(msg=f"jupyter: the record of the previous run, {error}")

    hashes = {}
    for name in params["password_instances"]:
        hashed = password_hash(os.path.join(params["config_dir"], name, "jupyter_server_config.json"))
        if hashed is not None:
            hashes[name] = hashed

    ss = module.get_bin_path("ss")
    if not ss:
        module.fail_json(msg="jupyter: ss (Debian's iproute2) is needed to see which ports are in use; install it")
    rc, listeners, err = module.run_command([ss, "-Hltnp"])
    if rc != 0:
        module.fail_json(msg=f"ss -Hltnp failed: {err.strip()}")

    # Each fails as a whole only when the daemon is not there; the pull then says why.
    images, volumes = [], []
    if docker:
        images = inspect(module, params["docker"], "image", params["images"])
        volumes = inspect(module, params["docker"], "volume", params["volumes"])

    units = {}
    systemctl = module.get_bin_path("systemctl")
    if systemctl and params["units"]:
        rc, out, _ = module.run_command([systemctl, "show", "--property", "Id,ActiveState,UnitFileState",
                                         *params["units"]])
        # systemctl names the blocks by Id, in the order asked.
        for name, state in zip(params["units"], unit_states(out) if rc == 0 else []):
            units[name] = {"active": state.get("ActiveState", ""), "enabled": state.get("UnitFileState", "")}

    module.exit_json(
        changed=False,
        docker=docker,
        previous=previous,
        password_hashes=hashes,
        listeners=listeners,
        token_files={path: os.path.exists(path) for path in params["token_files"]},
        images=images,
        volumes=volumes,
        units=units,
        paths={path: path_kind(path) for path in params["paths"]},
        resources=resources(),
    )


if __name__ == "__main__":
    main()
