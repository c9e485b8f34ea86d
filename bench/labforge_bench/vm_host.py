"""A VM as a bench lab host (roles/lab_vm): a bench host container made a hypervisor by site.yml,
whose guest, booted from the rig's cloud image (tests/rig/cloud-image.sh), joins container_hosts
and jupyter_hosts in the same run. Set up as molecule/vm sets up its host."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from . import fleet, inventory

CLOUD = fleet.PROJECT / ".rig" / "cloud"
IMAGES = "/var/lib/labforge/images"
GUEST = "bench-vm"
VIRSH = ("virsh", "--connect", "qemu:///system")


def check_cloud_image() -> None:
    if not (CLOUD / "recipe").exists():
        raise SystemExit(".rig/cloud has no cloud image; run tests/rig/cloud-image.sh (make rig runs it)")


def prepare(name: str) -> None:
    """What molecule/shared/prepare_hypervisor_host.yml and molecule/vm/prepare.yml give the host:
    /proc/sys/net writable (Docker mounts /proc/sys read-only in a container that is not privileged,
    and libvirt writes net.*), the cloud image in the pool, and a kernel for the KVM probe."""
    fleet.exec_in(name, "sh", "-c", "mount --bind /proc/sys/net /proc/sys/net && "
                  f"mount -o remount,bind,rw /proc/sys/net && mkdir -p {IMAGES}/cloud")
    for file in ("base.qcow2", "vmlinuz", "initrd.img"):
        fleet.sh("docker", "cp", str(CLOUD / file), f"{name}:{IMAGES}/cloud/{file}")
    fleet.exec_in(name, "cp", f"{IMAGES}/cloud/vmlinuz", f"{IMAGES}/vmlinuz")


def lab_inventory(name: str, address: str, registry: str, token: str, key: Path, known_hosts: Path,
                  repository: str = inventory.JUPYTER_REPOSITORY) -> dict[str, Any]:
    """site.yml's inventory with ``name`` the only host, a hypervisor, and its one guest a container
    and Jupyter host, the Jupyter instance as the container hosts' (bench/labforge_bench/inventory.py)."""
    inv = inventory.lab_inventory({}, registry, token, str(key), repository=repository)
    children = inv["all"]["children"]
    # Docker's default 172.17.0.0/16 in the guest would hide the registry at this machine's docker0 address.
    children["container_hosts"]["vars"]["docker_engine_default_address_pools"] = [{"base": "10.213.0.0/16",
                                                                                   "size": 24}]
    children["jupyter_hosts"]["vars"]["jupyter_bind_address"] = "{{ labforge_vm_address }}"
    children["hypervisor_hosts"] = {
        "hosts": {name: {"ansible_host": address}},
        "vars": {
            "hypervisor_kvm_probe_kernel": f"{IMAGES}/vmlinuz",
            "hypervisor_kvm_probe_timeout": 10,
            "lab_vm_ssh_jump": f"root@{address}",
            "lab_vm_ssh_jump_args": f"-i {key} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no "
                                    "-o LogLevel=ERROR",
            "lab_vm_known_hosts_file": str(known_hosts),
            "lab_vm_guests": [{
                "name": GUEST,
                "image": f"{IMAGES}/cloud/base.qcow2",
                "kernel": f"{IMAGES}/cloud/vmlinuz",
                "initrd": f"{IMAGES}/cloud/initrd.img",
                "cmdline": "root=/dev/vda console=ttyS0",
                "disk_size": "6G",
                "memory_mib": 1536,
                "vcpus": 2,
                "ready_timeout": 600,
                "ssh_authorized_keys": [Path(f"{key}.pub").read_text().strip()],
                "inventory_groups": ["container_hosts", "jupyter_hosts"],
            }],
        },
    }
    children["lab_vm_guests"] = {"hosts": {}, "vars": {"ansible_ssh_private_key_file": str(key)}}
    return inv


def guest_address(name: str) -> str:
    leases = fleet.exec_in(name, *VIRSH, "domifaddr", GUEST, "--source", "lease")
    if (found := re.search(r"ipv4\s+([\d.]+)/", leases)) is None:
        raise RuntimeError(f"{GUEST} on {name} has no DHCP lease:\n{leases}")
    return found[1]


def boot_record(name: str) -> dict[str, Any]:
    """lab_vm's record of the guest's last boot: seconds from its start until cloud-init said done."""
    return json.loads(fleet.exec_in(name, "cat", f"/var/lib/labforge/vms/{GUEST}/boot.json"))


def destroy_guest(name: str) -> None:
    """Stop the guest at once, so that no qemu outlives the measure (before the host is retired)."""
    fleet.sh("docker", "exec", name, *VIRSH, "destroy", GUEST, check=False)
