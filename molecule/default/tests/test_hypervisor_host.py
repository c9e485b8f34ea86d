"""The hypervisor host after site.yml: libvirt with its pool and network, the capability
check's verdict recorded, and the tiny guest booted and ready; no Docker engine here."""

import json

testinfra_hosts = ["ansible://hypervisor_hosts"]

FACT = "/etc/ansible/facts.d/labforge_hypervisor.fact"


def virsh(host, *args):
    return host.check_output("virsh --connect qemu:///system " + " ".join(args))


def test_libvirt_daemon_runs_and_is_enabled(host):
    libvirtd = host.service("libvirtd")
    assert libvirtd.is_running and libvirtd.is_enabled


def test_the_capability_check_chose_an_accelerator_that_boots(host):
    record = json.loads(host.file(FACT).content_string)
    assert (record["accel"], record["domain_type"]) in (("kvm", "kvm"), ("tcg", "qemu"))
    assert f"<domain type='{record['domain_type']}'" in virsh(host, "dumpxml", "tiny")


def test_the_guest_runs_and_printed_its_ready_marker(host):
    assert virsh(host, "domstate", "tiny") == "running"
    console = host.file("/var/lib/labforge/vms/tiny/console.log").content_string
    assert "LABFORGE-GUEST-READY" in console


def test_no_docker_engine_on_the_hypervisor_host(host):
    assert not host.package("docker.io").is_installed
