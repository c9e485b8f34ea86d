"""hypervisor and lab_vm on a systemd host running libvirtd: the pool and the network are up
and autostarted on a subnet that clashes with nothing, the capability check tells the truth
about KVM on this machine, the tiny guest booted under the chosen accelerator and proved on
its serial console that it read its disk, its NoCloud seed and a DHCP lease; bad input fails
before any change; a guest that never gets ready fails with its console; absent removes.

The bad-input runs start in the background before the first test of this file, and run
while the other tests look at the host.
"""

from __future__ import annotations

import ipaddress
import json
import re
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from labforge_testlib import PlayResult, host_name, run_playbook

IMAGES = "/var/lib/labforge/images"
VMS = "/var/lib/labforge/vms"
FACT = "/etc/ansible/facts.d/labforge_hypervisor.fact"
GUEST, HOSTNAME, NETWORK, POOL = "tiny", "tiny-lab", "labforge", "labforge-images"
CANDIDATES = [ipaddress.ip_network(c) for c in ("192.168.100.0/22", "192.168.104.0/21")]
GUEST_DISK_BYTES = 128 * 1024 * 1024


def virsh(host, *args: str) -> str:
    return host.check_output("virsh --connect qemu:///system " + " ".join(args))


def info(text: str) -> dict[str, str]:
    """The `Key: value` lines of virsh *-info output."""
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines()) if v}


def record(host) -> dict:
    return json.loads(host.file(FACT).content_string)


def console(host, guest: str = GUEST) -> str:
    return host.file(f"{VMS}/{guest}/console.log").content_string.replace("\r", "")


def console_facts(host, tag: str) -> list[dict[str, str]]:
    """The key=value pairs of each `LABFORGE-GUEST-<tag>` line the test guest printed."""
    found = []
    for line in console(host).splitlines():
        if line.startswith(f"LABFORGE-GUEST-{tag} "):
            words = line.split()[1:]
            found.append({"_": words[0], **dict(w.split("=", 1) for w in words if "=" in w)})
    return found


def network_subnet(host) -> ipaddress.IPv4Network:
    xml = virsh(host, "net-dumpxml", NETWORK)
    address, prefix = re.search(r"<ip address='([\d.]+)' prefix='(\d+)'", xml).groups()
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


# --------------------------------------------------------------------------- a guest's life
# First in the file, so that the bad-input runs (in the background) overlap with it.


def test_never_ready_guest_fails_with_its_console_then_absent_removes_guests(host):
    keeper = _guest(
        name="keeper", hostname="keeper", image="", disk_size="16M", network="", state="shutdown", autostart=False
    )
    doomed = _guest(
        name="doomed",
        hostname="doomed",
        image="",
        disk_size="",
        seed=False,
        network="",
        autostart=False,
        memory_mib=160,
        cmdline="console=ttyS0 panic=-1",
        ready_marker="NEVER-PRINTED-MARKER",
        ready_timeout=30,  # long enough for the kernel to print, even on a loaded machine
    )
    failed = run_playbook("lab_vm.yml", {"lab_vm_guests": [keeper, doomed]})
    assert failed.returncode != 0
    assert "doomed was not ready within 30 s: no line matching" in failed.output
    tail = failed.output.split("Last lines of its serial console", 1)[-1]
    shown = [line for line in console(host, "doomed").splitlines() if len(line.strip()) > 20 and line.strip() in tail]
    assert len(shown) >= 3, tail[:2000]
    assert virsh(host, "domstate", "doomed") == "running"
    assert virsh(host, "domstate", "keeper") == "shut off"  # state shutdown: defined, never started
    assert host.file(f"{VMS}/keeper/disk.qcow2").exists

    removed = run_playbook(
        "lab_vm.yml",
        {
            "lab_vm_guests": [
                {"name": "keeper", "state": "absent"},
                {"name": "doomed", "state": "absent", "purge_data": True},
            ]
        },
    )
    assert removed.returncode == 0, removed.output[-3000:]
    defined = virsh(host, "list", "--all", "--name").split()
    assert "keeper" not in defined and "doomed" not in defined
    assert host.file(f"{VMS}/keeper/disk.qcow2").exists  # disks stay unless asked
    assert not host.file(f"{VMS}/doomed").exists  # purge_data: the guest's directory is gone
    assert virsh(host, "domstate", GUEST) == "running"  # the other guest never noticed


def test_a_guest_without_cloud_init_is_not_ready_and_its_console_is_shown(host):
    # The test guest gets a lease and serves HTTP, but runs neither sshd nor cloud-init.
    mute = _guest(name="mute", hostname="mute", image="", disk_size="", autostart=False, ready="cloud-init",
                  ready_timeout=25)
    failed = run_playbook("lab_vm.yml", {"lab_vm_guests": [mute]})
    assert failed.returncode != 0
    said = " ".join(failed.output.split())
    assert "mute was not ready within 25 s: no DHCP address or no SSH answer on port 22" in said, said[-3000:]
    assert "LABFORGE-GUEST-READY" in failed.output.split("Last lines of its serial console", 1)[-1]
    removed = run_playbook("lab_vm.yml", {"lab_vm_guests": [{"name": "mute", "state": "absent", "purge_data": True}]})
    assert removed.returncode == 0, removed.output[-3000:]
    assert not host.file(f"{VMS}/mute").exists


# --------------------------------------------------------------------------- the host


def test_libvirt_daemon_runs_and_is_enabled(host):
    libvirtd = host.service("libvirtd")
    assert libvirtd.is_running and libvirtd.is_enabled
    assert host.service("virtlogd.socket").is_enabled


def test_users_are_in_the_libvirt_and_kvm_groups(host):
    assert {"libvirt", "kvm"} <= set(host.user("student").groups)


def test_pool_is_active_autostarted_and_lists_the_images(host):
    pool = info(virsh(host, "pool-info", POOL))
    assert (pool["State"], pool["Autostart"]) == ("running", "yes")
    volumes = virsh(host, "vol-list", POOL)
    for name in ("vmlinuz", "initrd.img", "base.qcow2"):
        assert f"{IMAGES}/{name}" in volumes


def test_network_is_active_autostarted_on_a_subnet_that_clashes_with_nothing(host):
    net = info(virsh(host, "net-info", NETWORK))
    assert (net["Active"], net["Autostart"]) == ("yes", "yes")
    subnet = network_subnet(host)
    assert any(subnet.subnet_of(block) for block in CANDIDATES), subnet
    routes = json.loads(host.check_output("ip -j route show"))
    own = [r for r in routes if r.get("dev") == net["Bridge"]]
    assert [r["dst"] for r in own] == [str(subnet)]
    others = [ipaddress.ip_network(r["dst"]) for r in routes if r["dst"] != "default" and r not in own]
    assert others, "the host has an uplink route to compare with"
    assert not any(subnet.overlaps(other) for other in others)
    for name in virsh(host, "net-list", "--all", "--name").split():
        if name != NETWORK:
            xml = virsh(host, "net-dumpxml", name)
            for address, mask in re.findall(r"<ip address='([\d.]+)' netmask='([\d.]+)'", xml):
                assert not subnet.overlaps(ipaddress.ip_network(f"{address}/{mask}", strict=False)), name


# --------------------------------------------------------------------------- KVM or TCG


def test_capability_record_matches_the_host(host):
    cap = record(host)["capability"]
    flags = set()
    for line in host.file("/proc/cpuinfo").content_string.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags.update(value.split())
    hw_virt = bool({"vmx", "svm"} & flags)
    assert cap["hw_virt"] is hw_virt
    assert cap["kvm_device"] is host.file("/dev/kvm").exists
    probe = record(host)["probe"]
    assert probe["ran"] is cap["kvm_device"]  # the probe runs wherever /dev/kvm exists
    usable = hw_virt and cap["kvm_device"] and probe.get("booted") is True
    assert cap["kvm_usable"] is usable
    assert record(host)["accel"] == ("kvm" if usable else "tcg")
    assert record(host)["domain_type"] == ("kvm" if usable else "qemu")


def test_probe_does_not_trust_the_device_node_on_a_nested_host(host):
    """The rig's case: /dev/kvm exists, the CPU shows no vmx/svm, and a guest hangs under KVM."""
    cap, probe = record(host)["capability"], record(host)["probe"]
    if not (cap["kvm_device"] and not cap["hw_virt"]):
        pytest.skip("not a host with /dev/kvm but without vmx/svm")
    assert (cap["kvm_probe"], probe["booted"]) == ("failed", False)
    assert "within 10 s under KVM (the guest hung)" in probe["detail"]
    assert "no vmx/svm" in cap["reason"] and "/dev/kvm exists" in cap["reason"]
    assert (cap["kvm_usable"], record(host)["accel"]) == (False, "tcg")


def test_guest_runs_under_the_recorded_accelerator(host):
    assert virsh(host, "domstate", GUEST) == "running"
    domain_type = re.search(r"<domain type='(\w+)'", virsh(host, "dumpxml", GUEST)).group(1)
    assert domain_type == record(host)["domain_type"]
    qemu = host.check_output("ps -o args= -C qemu-system-x86_64")
    accel = "tcg" if domain_type == "qemu" else "kvm"
    assert re.search(rf"(-accel |accel=){accel}\b", qemu), qemu[-500:]


# --------------------------------------------------------------------------- the guest


def test_guest_printed_its_ready_marker_and_its_boot_time_is_reported(host):
    ready = console_facts(host, "READY")
    assert len(ready) == 1 and ready[0]["hostname"] == HOSTNAME
    boot = json.loads(host.file(f"{VMS}/{GUEST}/boot.json").content_string)
    assert boot["ready"] == "console" and boot["ready_marker"] == "LABFORGE-GUEST-READY"
    # The wall time the role measured covers the guest kernel's own uptime at the marker.
    assert float(ready[0]["uptime"]) <= boot["boot_seconds"] <= 120


def test_guest_autostarts(host):
    assert info(virsh(host, "dominfo", GUEST))["Autostart"] == "enable"


def test_guest_disk_is_a_qcow2_backed_by_the_image_and_the_guest_reads_it(host):
    disk = json.loads(host.check_output(f"qemu-img info -U --output=json {VMS}/{GUEST}/disk.qcow2"))
    assert disk["format"] == "qcow2"
    assert disk["backing-filename"] == f"{IMAGES}/base.qcow2"
    assert disk["virtual-size"] == GUEST_DISK_BYTES
    vda = [d for d in console_facts(host, "DISK") if d["_"] == "vda"]
    assert vda == [{"_": "vda", "bytes": str(GUEST_DISK_BYTES), "label": "labforge-base"}]


def test_guest_read_its_nocloud_seed(host):
    assert console_facts(host, "SEED") == [{"_": f"hostname={HOSTNAME}", "hostname": HOSTNAME}]
    seed = host.check_output(f"ls {VMS}/{GUEST}/seed-*.iso")
    read = (
        "import io, pycdlib, sys; iso = pycdlib.PyCdlib(); iso.open(sys.argv[1]); "
        "print(iso.pvd.volume_identifier.decode().strip()); out = io.BytesIO(); "
        "iso.get_file_from_iso_fp(out, rr_path='/user-data'); print(out.getvalue().decode())"
    )
    label, _, user_data = host.check_output(f'python3 -c "{read}" {seed}').partition("\n")
    assert label == "cidata"
    assert user_data.startswith("#cloud-config\n")
    assert "- name: lab" in user_data and "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMolecule0nly" in user_data


def test_guest_got_a_lease_on_the_network_and_serves_http(host):
    (net,) = console_facts(host, "NET")
    address = ipaddress.ip_address(net["addr"])
    assert address in network_subnet(host)
    assert str(address) in virsh(host, "net-dhcp-leases", NETWORK)
    page = host.check_output(
        f"python3 -c \"import urllib.request as u; print(u.urlopen('http://{address}/', timeout=10).read().decode())\""
    )
    assert page.strip() == f"labforge guest {HOSTNAME}"


# --------------------------------------------------------------------------- bad input


def _guest(**overrides) -> dict:
    base = {
        "name": GUEST,
        "hostname": HOSTNAME,
        "kernel": f"{IMAGES}/vmlinuz",
        "initrd": f"{IMAGES}/initrd.img",
        "cmdline": "console=ttyS0 quiet panic=-1",
        "image": f"{IMAGES}/base.qcow2",
        "disk_size": "128M",
        "memory_mib": 192,
        "ready": "console",
        "ready_marker": "LABFORGE-GUEST-READY",
        "ready_timeout": 120,
    }
    return {**base, **overrides}


@pytest.fixture(scope="module", autouse=True)
def bad_runs(host) -> dict[str, Future]:
    """Each bad input, run against the converged host in the background."""
    clash = str(network_subnet(host))
    memtotal_mib = int(host.check_output("awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo"))
    cases = {
        "overlap": (
            "converge.yml",
            {"hypervisor_networks": [{"name": NETWORK, "subnet": "auto"}, {"name": "clash", "subnet": clash}]},
        ),
        "accel_unknown": ("converge.yml", {"hypervisor_accel": "warp"}),
        "accel_kvm": ("converge.yml", {"hypervisor_accel": "kvm"}),
        "memory": ("lab_vm.yml", {"lab_vm_guests": [_guest(memory_mib=memtotal_mib * 4)]}),
        "users": ("converge.yml", {"hypervisor_users": ["student", "nobody-here"]}),
        # Good input that would change the host, run with the validation tags only.
        "validate_only": (
            "converge.yml",
            {"hypervisor_networks": [{"name": NETWORK, "subnet": "auto"}, {"name": "extra", "subnet": "auto"}]},
            "--tags",
            "hypervisor_validate,lab_vm_validate",
        ),
    }
    pool = ThreadPoolExecutor(max_workers=len(cases))
    futures = {name: pool.submit(run_playbook, *case) for name, case in cases.items()}
    pool.shutdown(wait=False)
    return futures


def failed_before_any_change(result: PlayResult, host) -> None:
    recap = result.recap(host_name(host))
    assert result.returncode != 0 and recap["failed"] == 1, result.output[-3000:]
    assert recap["changed"] == 0, result.output[-3000:]


def test_network_overlapping_an_existing_one_fails_before_any_change(host, bad_runs):
    result = bad_runs["overlap"].result()
    failed_before_any_change(result, host)
    clash = network_subnet(host)
    assert f"hypervisor_networks[1] ('clash').subnet '{clash}' overlaps" in result.output
    assert f"libvirt network '{NETWORK}' ({clash})" in result.output
    assert "clash" not in virsh(host, "net-list", "--all", "--name").split()


def test_unknown_accel_value_fails_before_any_change(host, bad_runs):
    result = bad_runs["accel_unknown"].result()
    failed_before_any_change(result, host)
    assert re.search(r"hypervisor_accel.*auto, kvm, tcg.*warp|hypervisor_accel.*warp.*auto, kvm, tcg", result.output)


def test_kvm_forced_on_a_host_without_usable_kvm_fails_naming_the_cause(host, bad_runs):
    cap = record(host)["capability"]
    if cap["kvm_usable"]:
        pytest.skip("KVM is usable on this host")
    result = bad_runs["accel_kvm"].result()
    failed_before_any_change(result, host)
    assert "hypervisor_accel is 'kvm' but KVM is not usable on this host" in result.output
    assert "Set hypervisor_accel to 'auto' or 'tcg'" in result.output


def test_a_user_the_host_lacks_fails_before_any_change(host, bad_runs):
    result = bad_runs["users"].result()
    failed_before_any_change(result, host)
    assert f"hypervisor_users: nobody-here does not exist on {host_name(host)}; list existing users only" in result.output


def test_more_memory_than_the_host_has_fails_before_any_change(host, bad_runs):
    result = bad_runs["memory"].result()
    failed_before_any_change(result, host)
    assert re.search(rf"lab_vm_guests\[0\] \({GUEST}\)\.memory_mib is \d+, but \S+ has only \d+ MiB", result.output)
    assert info(virsh(host, "dominfo", GUEST))["Max memory"] == f"{192 * 1024} KiB"


def test_the_validation_tags_check_every_input_and_change_nothing(host, bad_runs):
    result = bad_runs["validate_only"].result()
    recap = result.recap(host_name(host))
    assert result.returncode == 0 and recap["failed"] == 0, result.output[-3000:]
    assert recap["changed"] == 0, result.output[-3000:]
    assert "TASK [hypervisor : Plan the networks' subnets" in result.output
    assert "TASK [lab_vm : Choose the guests' domain type" in result.output
    # lab_vm reads libvirt with the hypervisor role's tasks, under its own tag too.
    assert result.output.count("TASK [hypervisor : Note what libvirt has]") == 2, result.output[-3000:]
    assert "TASK [hypervisor : Boot the probe guest" not in result.output
    assert "extra" not in virsh(host, "net-list", "--all", "--name").split()
