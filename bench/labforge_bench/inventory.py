"""The inventory of a bench lab: N lab hosts reached over SSH, optionally a registry mirror."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JUPYTER_REPOSITORY = "labforge/jupyter-test:2"


def lab_inventory(
    hosts: Mapping[str, str],
    registry: str,
    token: str,
    key_file: str,
    mirror: tuple[str, str] | None = None,
    upstream: str = "",
    repository: str = JUPYTER_REPOSITORY,
) -> dict[str, Any]:
    """Inventory for site.yml.

    ``hosts`` maps lab host names to their addresses. Lab hosts pull the Jupyter image from
    ``registry`` (host:port, plain HTTP). With ``mirror`` (name, address), that host is the
    lab's registry_mirror caching ``upstream``; ``registry`` is then normally the mirror's
    host:port, since the image reference must name the mirror for a registry other than Docker Hub.
    ``repository`` is the Jupyter image's name:tag in that registry.
    """
    lab_hosts = {name: {"ansible_host": address} for name, address in hosts.items()}
    children: dict[str, Any] = {
        "container_hosts": {
            "hosts": lab_hosts,
            "vars": {"docker_engine_insecure_registries": [registry]},
        },
        "jupyter_hosts": {
            "hosts": {name: {} for name in hosts},
            "vars": {
                "jupyter_image": f"{registry}/{repository}",
                "jupyter_memory": "1g",
                "jupyter_cpus": 1,
                "jupyter_instances": [{"name": "lab", "port": 8888, "token": token}],
            },
        },
        "hypervisor_hosts": {"hosts": {}},
    }
    if mirror is not None:
        name, address = mirror
        children["registry_mirror_hosts"] = {
            "hosts": {name: {"ansible_host": address}},
            "vars": {"registry_mirror_upstream": f"http://{upstream}", "registry_mirror_prefetch": [repository]},
        }
    return {
        "all": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": key_file,
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                "ansible_python_interpreter": "/usr/bin/python3",
            },
            "children": children,
        }
    }
