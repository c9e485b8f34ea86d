from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.virt import cpu_flags, virt_accel_choice, virt_capability

INTEL = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep vmx smx est tm2 ssse3
bugs\t\t: spectre_v1

processor\t: 1
vendor_id\t: GenuineIntel
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep vmx smx est tm2 ssse3
"""
AMD = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme svm lm\n"
# A nested guest like the CI machines: no vmx/svm, yet /dev/kvm exists.
NESTED = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme hypervisor lm\nvmx flags\t: vnmi\n"
BOOTED = {"booted": True, "detail": "marker on ttyS0 after 3 s"}
HUNG = {"booted": False, "detail": "no serial marker within 60 s"}


def test_usable_kvm() -> None:
    assert virt_capability(INTEL, True, BOOTED) == {
        "vmx": True,
        "svm": False,
        "hw_virt": True,
        "kvm_device": True,
        "kvm_probe": "passed",
        "kvm_usable": True,
        "accel": "kvm",
        "reason": "CPU has vmx, /dev/kvm is present and a test guest booted under KVM; using KVM",
    }


def test_amd_svm_counts() -> None:
    result = virt_capability(AMD, True, "passed")
    assert (result["vmx"], result["svm"], result["kvm_usable"]) == (False, True, True)


def test_nested_host_with_device_but_no_cpu_flag() -> None:
    result = virt_capability(NESTED, True, HUNG)
    assert result["hw_virt"] is False  # the "vmx flags" line is not the "flags" line
    assert result["kvm_device"] is True
    assert result["kvm_probe"] == "failed"
    assert (result["kvm_usable"], result["accel"]) == (False, "tcg")
    assert result["reason"].startswith("CPU has no vmx/svm flag in /proc/cpuinfo although /dev/kvm exists")


@pytest.mark.parametrize(
    ("cpuinfo", "device", "probe", "state", "reason"),
    [
        ("", False, None, "not_run", "CPU has no vmx/svm flag in /proc/cpuinfo (hardware"),
        (INTEL, False, BOOTED, "passed", "/dev/kvm missing (CPU has vmx"),
        (
            INTEL,
            True,
            HUNG,
            "failed",
            "/dev/kvm present but a test guest did not boot under KVM (no serial marker within 60 s); using TCG",
        ),
        (INTEL, True, {"booted": False}, "failed", "did not boot under KVM (no detail given)"),
        (INTEL, True, {"booted": False, "detail": "  "}, "failed", "(no detail given)"),
        (INTEL, True, "failed", "failed", "did not boot under KVM (no detail given)"),
        (INTEL, True, None, "not_run", "CPU has vmx and /dev/kvm is present, but the KVM boot probe was not run"),
        (INTEL, True, "not_run", "not_run", "probe was not run"),
        (INTEL, True, {"skipped": True, "changed": False}, "not_run", "probe was not run"),
    ],
)
def test_tcg_verdicts_and_reasons(cpuinfo: str, device: bool, probe: object, state: str, reason: str) -> None:
    result = virt_capability(cpuinfo, device, probe)
    assert result["kvm_probe"] == state
    assert (result["kvm_usable"], result["accel"]) == (False, "tcg")
    assert reason in result["reason"]
    assert result["reason"].endswith("using TCG")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((None, True), "cpuinfo must be the text of /proc/cpuinfo"),
        ((["flags: vmx"], True), "cpuinfo must be the text"),
        ((INTEL, "yes"), "kvm_device_present must be true or false"),
        ((INTEL, 1), r"kvm_device_present must be true or false .*got 1 \(integer\)"),
        ((INTEL, True, "ok"), "probe 'ok' is not accepted; accepted: null, 'not_run', 'passed', 'failed'"),
        ((INTEL, True, True), r"probe True \(boolean\) has the wrong type; accepted"),
        ((INTEL, True, {"boot": True}), "probe.booted must be true or false, got null"),
        ((INTEL, True, {"booted": "yes"}), "probe.booted must be true or false, got 'yes'"),
        ((INTEL, True, {"booted": False, "detail": 3}), r"probe.detail must be a string, got 3 \(integer\)"),
    ],
)
def test_capability_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        virt_capability(*args)


def test_probe_detail_becomes_one_short_line() -> None:
    reason = virt_capability(INTEL, True, {"booted": False, "detail": "qemu: timeout\n  after 60 s\n" + "x" * 400})[
        "reason"
    ]
    assert "(qemu: timeout after 60 s xxx" in reason
    assert "\n" not in reason and len(reason) < 300


def test_cpu_flags_reads_every_flags_line() -> None:
    assert cpu_flags("flags : a b\nflags\t: c\nFeatures : d\nnot flags: e\n") == {"a", "b", "c"}


@given(
    st.sets(st.sampled_from(["vmx", "svm", "lm", "hypervisor", "sse2"])),
    st.booleans(),
    st.sampled_from([None, "not_run", "passed", "failed", BOOTED, HUNG]),
)
def test_property_kvm_only_with_all_three(flags: set[str], device: bool, probe: object) -> None:
    result = virt_capability(f"processor : 0\nflags : {' '.join(sorted(flags))}\n", device, probe)
    hw = bool(flags & {"vmx", "svm"})
    passed = probe in ("passed", BOOTED)
    assert result["hw_virt"] is hw
    assert result["kvm_usable"] is (hw and device and passed)
    assert result["accel"] == ("kvm" if result["kvm_usable"] else "tcg")
    assert virt_accel_choice(result, "auto") == result["accel"]


# --------------------------------------------------------------------------- accel choice

USABLE = virt_capability(INTEL, True, BOOTED)
UNUSABLE = virt_capability(NESTED, True, HUNG)


@pytest.mark.parametrize(
    ("capability", "requested", "expected"),
    [
        (USABLE, "auto", "kvm"),
        (USABLE, "kvm", "kvm"),
        (USABLE, "tcg", "tcg"),
        (UNUSABLE, "auto", "tcg"),
        (UNUSABLE, "tcg", "tcg"),
    ],
)
def test_accel_choice(capability: dict, requested: str, expected: str) -> None:
    assert virt_accel_choice(capability, requested) == expected


def test_forced_kvm_on_an_unusable_host_names_the_variable_and_reason() -> None:
    with pytest.raises(LabforgeFilterError) as caught:
        virt_accel_choice(UNUSABLE, "kvm")
    message = str(caught.value)
    assert message.startswith("hypervisor_accel is 'kvm' but KVM is not usable on this host: CPU has no vmx/svm flag")
    assert message.endswith("Set hypervisor_accel to 'auto' or 'tcg'")


def test_the_variable_name_can_be_given() -> None:
    with pytest.raises(LabforgeFilterError, match=r"^labforge_vm_accel is 'kvm' but"):
        virt_accel_choice(UNUSABLE, "kvm", "labforge_vm_accel")


@pytest.mark.parametrize("requested", ["KVM", "qemu", "", None, True, ["kvm"]])
def test_unknown_acceleration_names_the_variable_and_choices(requested: object) -> None:
    with pytest.raises(LabforgeFilterError, match=r"^hypervisor_accel is .*; accepted: auto, kvm, tcg$"):
        virt_accel_choice(USABLE, requested)


@pytest.mark.parametrize("capability", [None, "kvm", {}, {"kvm_usable": "yes"}])
def test_accel_choice_needs_a_capability(capability: object) -> None:
    with pytest.raises(LabforgeFilterError, match="capability must be the result of virt_capability"):
        virt_accel_choice(capability, "auto")
