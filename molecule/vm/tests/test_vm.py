"""A VM as a lab host: the guest booted from the rig's cloud image, cloud-init finished without
errors, the controller reached it through the hypervisor host with the host key the seed gave
it, and Docker and a Jupyter instance run inside it. A notebook saved through the API where
JupyterLab saves by default is still there after `virsh reboot`, and after `virsh shutdown`,
removal (its disk kept) and the guest defined and started again; purge_data removes its disk
and the controller's trust in its host key.

The tests run in file order: the last ones reboot, remove and purge the guest.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from labforge_jupyter import client  # noqa: F401 (a fixture)
from labforge_testlib import host_name, run_playbook

GUEST, USER = "course-vm", "lab"
VMS = "/var/lib/labforge/vms"
IMAGE = "/var/lib/labforge/images/cloud/base.qcow2"
TOKEN = "course-token-0123456789abcdef"
NOTEBOOK = "Untitled.ipynb"  # where JupyterLab's launcher saves a new notebook
SSH_DIR = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")) / "ssh"
BOOT_TIMEOUT = 420  # seconds for a guest under TCG to boot and serve Jupyter again


def virsh(host, *args: str) -> str:
    return host.check_output("virsh --connect qemu:///system " + " ".join(args))


def address(host) -> str:
    leases = virsh(host, "domifaddr", GUEST, "--source", "lease")
    return re.search(r"ipv4\s+([\d.]+)/", leases).group(1)


def url(host) -> str:
    return f"http://{address(host)}:8888/"


def in_guest(host, command: str, check: bool = True) -> str:
    """Runs a command in the guest, from the hypervisor host with its own key (lab_vm's)."""
    ssh = (
        f"ssh -i {VMS}/.ssh/labforge_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=yes "
        f"-o UserKnownHostsFile={VMS}/{GUEST}/known_hosts -o HostKeyAlias={GUEST} -o ConnectTimeout=10 "
        f"{USER}@{address(host)} {shlex.quote(command)}"
    )
    result = host.run(ssh)
    if check:
        assert result.rc == 0, f"{command}: {result.stderr}"
    return result.stdout


def boot_id(host) -> str:
    return in_guest(host, "cat /proc/sys/kernel/random/boot_id").strip()


def wait_for(what: str, probe, timeout: float = BOOT_TIMEOUT, every: float = 5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except (AssertionError, AttributeError, RuntimeError):
            pass
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {what}")


def jupyter_back(host, client):  # noqa: F811
    """Waits until Jupyter in the guest answers again, and returns the notebook's marker text."""
    wait_for("Jupyter answers in the guest", lambda: client("status", url(host), token=TOKEN) == ["200"])
    status, *body = client("get", url(host), f"api/contents/{NOTEBOOK}", token=TOKEN)
    assert status == "200", body
    return "\n".join(body)


# --------------------------------------------------------------------------- the guest


def test_guest_runs_from_a_qcow2_overlay_of_the_cloud_image(host):
    assert virsh(host, "domstate", GUEST) == "running"
    assert "<domain type='qemu'" in virsh(host, "dumpxml", GUEST)  # TCG: KVM is unusable here
    disk = host.check_output(f"qemu-img info -U --output=json {VMS}/{GUEST}/disk.qcow2")
    assert f'"backing-filename": "{IMAGE}"' in disk
    assert '"virtual-size": 6442450944' in disk


def test_cloud_init_finished_without_errors(host):
    status = in_guest(host, "cloud-init status --long")
    assert re.search(r"(?m)^status:\s*done\s*$", status), status
    result = in_guest(host, "cat /run/cloud-init/result.json")
    assert '"errors": []' in result, result
    assert "DataSourceNoCloud" in result


def test_the_seed_set_hostname_user_and_the_disk_was_grown(host):
    assert in_guest(host, "hostname").strip() == GUEST
    assert in_guest(host, "sudo -n id -u").strip() == "0"  # passwordless sudo for the seeded user
    root_bytes = int(in_guest(host, "df --output=size -B1 / | tail -n 1"))
    assert root_bytes > 5 * 2**30  # the 4 GiB image's file system grew into the 6 GiB disk


def test_the_guest_serves_the_host_key_the_seed_gave_it(host):
    seeded = host.file(f"{VMS}/{GUEST}/ssh_host_ed25519_key.pub").content_string.split()[:2]
    served = host.check_output(f"ssh-keyscan -t ed25519 {address(host)} 2>/dev/null").split()[1:3]
    assert served == seeded
    trusted = (SSH_DIR / "known_hosts").read_text().split("\n")
    assert f"{GUEST} {' '.join(seeded)}" in [" ".join(line.split()[:3]) for line in trusted]


def test_the_controller_reaches_the_guest_only_through_the_jump_host_with_that_key(host):
    jump = (SSH_DIR / "jump_address").read_text().strip()
    proxy = (
        f"ssh -i {SSH_DIR}/id_ed25519 -o UserKnownHostsFile={SSH_DIR}/known_hosts_jump "
        f"-o StrictHostKeyChecking=yes -o BatchMode=yes -W {address(host)}:22 root@{jump}"
    )

    def ssh(known_hosts: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ssh", "-i", f"{SSH_DIR}/id_ed25519", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
             "-o", f"UserKnownHostsFile={known_hosts}", "-o", f"HostKeyAlias={GUEST}", "-o", f"ProxyCommand={proxy}",
             f"{USER}@{GUEST}", "hostname"],
            capture_output=True, text=True, timeout=120,
        )

    good = ssh(SSH_DIR / "known_hosts")
    assert good.returncode == 0 and good.stdout.strip() == GUEST, good.stderr
    wrong = SSH_DIR / "known_hosts_wrong"
    other_key = (SSH_DIR / "id_ed25519.pub").read_text().split()[:2]  # any ed25519 key but the guest's
    wrong.write_text(f"{GUEST} {' '.join(other_key)}\n")
    refused = ssh(wrong)
    assert refused.returncode == 255 and "host key" in refused.stderr.lower(), refused.stderr


def test_docker_and_the_jupyter_unit_run_inside_the_guest(host):
    assert in_guest(host, "systemctl is-active docker").strip() == "active"
    assert in_guest(host, "systemctl is-enabled labforge-jupyter@course").strip() == "enabled"
    names = in_guest(host, "sudo -n docker ps --format '{{.Names}}'").split()
    assert "labforge-jupyter-course" in names


def test_jupyter_answers_from_the_hypervisor_host_on_the_guest_address_only(host, client):  # noqa: F811
    assert client("status", url(host), token=TOKEN) == ["200"]
    assert client("status", url(host), token="wrong-token") == ["403"]
    listening = in_guest(host, "ss -Hltn 'sport = :8888'")
    assert f"{address(host)}:8888" in listening and "0.0.0.0:8888" not in listening


def test_check_mode_on_the_converged_lab_changes_nothing_in_the_guest_or_its_host(host):
    checked = run_playbook("converge.yml", None, "--check", "--diff")
    assert checked.returncode == 0, checked.output[-4000:]
    assert checked.recap(host_name(host))["changed"] == 0, checked.output[-4000:]
    assert checked.recap(GUEST)["changed"] == 0, checked.output[-4000:]


# --------------------------------------------------------------------------- durability


_SAVED: dict[str, str] = {}


@pytest.fixture
def saved(host, client):  # noqa: F811
    """A notebook saved through the API once, before the guest is first rebooted."""
    if not _SAVED:
        text = f"saved before the reboot {time.time_ns()}"
        assert client("put-notebook", url(host), NOTEBOOK, text, token=TOKEN) == ["201"]
        _SAVED["text"] = text
    return _SAVED["text"]


def test_a_notebook_survives_virsh_reboot(host, client, saved):  # noqa: F811
    before = boot_id(host)
    virsh(host, "reboot", GUEST)
    wait_for("the guest booted again", lambda: boot_id(host) != before)
    assert saved in jupyter_back(host, client)


def test_a_notebook_survives_shutdown_removal_and_start_of_the_defined_guest(host, client, saved):  # noqa: F811
    # One boot for two promises (the suite's time): `virsh shutdown`, then state absent keeps
    # the disk, then lab_vm defines the guest again and starts it as `virsh start` does
    # (virDomainCreate); Jupyter comes back with the notebook.
    virsh(host, "shutdown", GUEST)
    wait_for("the guest shut off", lambda: virsh(host, "domstate", GUEST) == "shut off", timeout=180)
    removed = run_playbook("lab_vm.yml", {"lab_vm_guests": [{"name": GUEST, "state": "absent"}]})
    assert removed.returncode == 0, removed.output[-3000:]
    assert GUEST not in virsh(host, "list", "--all", "--name").split()
    assert host.file(f"{VMS}/{GUEST}/disk.qcow2").exists

    again = run_playbook("lab_vm.yml")  # the scenario's guest, as defined in its inventory
    assert again.returncode == 0, again.output[-3000:]
    assert f"{GUEST} is ready (cloud-init is done" in " ".join(again.output.split())
    assert saved in jupyter_back(host, client)


def test_purge_data_removes_the_disk_and_the_trust_in_its_host_key(host):
    purged = run_playbook("lab_vm.yml", {"lab_vm_guests": [{"name": GUEST, "state": "absent", "purge_data": True}]})
    assert purged.returncode == 0, purged.output[-3000:]
    assert not host.file(f"{VMS}/{GUEST}").exists
    assert GUEST not in (SSH_DIR / "known_hosts").read_text()
