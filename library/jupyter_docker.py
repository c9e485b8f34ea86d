#!/usr/bin/python
"""The Docker images, volumes and containers of the jupyter role, through the Docker CLI."""

from __future__ import annotations

DOCUMENTATION = r"""
module: jupyter_docker
short_description: Pull images, create and remove volumes, remove containers, through the Docker CLI
description:
  - Pulls each image that is missing (or each image, with I(pull=always)) and creates each volume
    that does not exist, with its labels; every pull comes before any volume, so a failed pull
    changes nothing. Removes the named containers and volumes (for instances that are gone).
  - Replaces M(community.docker.docker_image_pull), M(community.docker.docker_volume) and
    M(community.docker.docker_container) (state absent). Those need python3-requests on the host
    (3.4 s of apt on a fresh host, measured by C(make bench), bench/README.md) and import the
    Docker SDK in every task, one task per image and volume; this module uses the C(docker)
    command and handles every instance of the host in one round trip.
  - Supports check mode.
options:
  docker:
    description: The Docker CLI.
    type: path
    default: /usr/bin/docker
  images:
    description: Image references that must be on the host.
    type: list
    elements: str
    default: []
  pull:
    description: C(missing) pulls only the images not on the host; C(always) pulls each, to follow a moving tag.
    type: str
    choices: [missing, always]
    default: missing
  volumes:
    description: Named volumes that must exist, each a mapping of C(name) and C(labels).
    type: list
    elements: dict
    default: []
  absent_containers:
    description: Containers to remove, running or not.
    type: list
    elements: str
    default: []
  absent_volumes:
    description: Volumes to remove, with their data.
    type: list
    elements: str
    default: []
"""

RETURN = r"""
images:
  description: C(docker image inspect) of the requested images that are on the host after the run.
  type: list
  returned: always
volumes:
  description: C(docker volume inspect) of the requested volumes that exist after the run.
  type: list
  returned: always
pulled:
  description: The images pulled (or, in check mode, that would be), with a new image ID or not.
  type: list
  returned: always
created:
  description: The volumes created (or, in check mode, that would be).
  type: list
  returned: always
removed:
  description: The containers and volumes removed (or, in check mode, that would be).
  type: list
  returned: always
failed_image:
  description: The image whose pull failed.
  type: str
  returned: failure
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.jupyter_docker_cli import inspect  # noqa: E402


class Docker:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.cli = module.params["docker"]

    def run(self, *args: str) -> tuple[int, str, str]:
        return self.module.run_command([self.cli, *args])

    def image(self, reference: str) -> dict | None:
        """The inspected image ``reference`` names, None when it is not on the host. One at a
        time: docker resolves each name as it would for a pull (docker.io/library/..., digests)."""
        found = inspect(self.module, self.cli, "image", [reference])
        return found[0] if found else None

    def volumes(self, names: list[str]) -> list[dict]:
        return [volume for volume in inspect(self.module, self.cli, "volume", names) if volume.get("Name") in names]

    def containers(self, names: list[str]) -> list[str]:
        found = (c.get("Name", "").lstrip("/") for c in inspect(self.module, self.cli, "container", names))
        return [name for name in found if name in names]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "docker": {"type": "path", "default": "/usr/bin/docker"},
            "images": {"type": "list", "elements": "str", "default": []},
            "pull": {"type": "str", "choices": ["missing", "always"], "default": "missing"},
            "volumes": {"type": "list", "elements": "dict", "default": [],
                        "options": {"name": {"type": "str", "required": True},
                                    "labels": {"type": "dict", "default": {}}}},
            "absent_containers": {"type": "list", "elements": "str", "default": []},
            "absent_volumes": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    params, docker = module.params, Docker(module)
    if not os.path.exists(params["docker"]):
        module.fail_json(msg=f"the Docker CLI {params['docker']} is not installed")

    images = {reference: docker.image(reference) for reference in params["images"]}
    to_pull = [ref for ref, info in images.items() if info is None or params["pull"] == "always"]
    pulled, changed = [], False
    for reference in to_pull:
        pulled.append(reference)
        if module.check_mode:
            changed = changed or images[reference] is None
            continue
        old = images[reference]
        rc, out, err = docker.run("pull", "--quiet", reference)
        if rc != 0:
            module.fail_json(msg=f"docker pull {reference} failed: {(err or out).strip()}", failed_image=reference,
                             pulled=pulled[:-1], changed=changed)
        images[reference] = docker.image(reference)
        changed = changed or old is None or images[reference] is None or images[reference]["Id"] != old["Id"]

    wanted = {volume["name"]: volume["labels"] for volume in params["volumes"]}
    existing = {volume["Name"] for volume in docker.volumes(list(wanted))}
    created = [name for name in wanted if name not in existing]
    for name in created:
        changed = True
        if module.check_mode:
            continue
        labels = [arg for key, value in sorted(wanted[name].items()) for arg in ("--label", f"{key}={value}")]
        rc, out, err = docker.run("volume", "create", *labels, name)
        if rc != 0:
            module.fail_json(msg=f"docker volume create {name} failed: {(err or out).strip()}", changed=changed)

    removed = []
    for name in docker.containers(params["absent_containers"]):
        removed.append(name)
        if not module.check_mode:
            rc, out, err = docker.run("container", "rm", "--force", name)
            if rc != 0:
                module.fail_json(msg=f"docker container rm {name} failed: {(err or out).strip()}", removed=removed)
    for volume in docker.volumes(params["absent_volumes"]):
        removed.append(volume["Name"])
        if not module.check_mode:
            rc, out, err = docker.run("volume", "rm", volume["Name"])
            if rc != 0:
                module.fail_json(msg=f"docker volume rm {volume['Name']} failed: {(err or out).strip()}",
                                 removed=removed)
    changed = changed or bool(removed)

    module.exit_json(
        changed=changed,
        images=[info for info in images.values() if info is not None],
        volumes=docker.volumes(list(wanted)),
        pulled=pulled,
        created=created,
        removed=removed,
    )


if __name__ == "__main__":
    main()
