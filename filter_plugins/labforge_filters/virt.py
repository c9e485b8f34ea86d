"""Whether a host can run guests under KVM, or must fall back to TCG emulation.

/dev/kvm alone proves little: a nested host may expose it (KVM_CREATE_VM even
succeeds) while guests hang early in boot. So the verdict needs three facts: the
CPU flags (vmx/svm), the device, and a probe that boots a tiny guest under KVM
with a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, got, show
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

PROBE_PASSED = "passed"
PROBE_FAILED = "failed"
PROBE_NOT_RUN = "not_run"
PROBE_STATES = (PROBE_PASSED, PROBE_FAILED, PROBE_NOT_RUN)
ACCEL_CHOICES = ("auto", "kvm", "tcg")
DETAIL_MAX = 200
PROBE_ACCEPTED = (
    "null, 'not_run', 'passed', 'failed', or a mapping {booted: true|false, detail: <text, optional>} "
    "(a mapping with skipped: true, such as a skipped task's result, counts as not run)"
)


def cpu_flags(cpuinfo: str) -> set[str]:
    """The union of the ``flags`` lines of /proc/cpuinfo text."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() == "flags":
            flags.update(value.split())
    return flags


def _probe(probe: object) -> tuple[str, str | None]:
    """(state, detail) from the probe argument."""
    if probe is None:
        return PROBE_NOT_RUN, None
    if isinstance(probe, str):
        if probe in PROBE_STATES:
            return str(probe), None
        raise LabforgeFilterError(f"probe {show(probe)} is not accepted; accepted: {PROBE_ACCEPTED}")
    if isinstance(probe, Mapping):
        if probe.get("skipped") is True:
            return PROBE_NOT_RUN, None
        booted = probe.get("booted")
        detail = probe.get("detail")
        if not isinstance(booted, bool):
            raise LabforgeFilterError(
                f"probe.booted must be true or false, got {show(booted)}; accepted: {PROBE_ACCEPTED}"
            )
        if detail is not None and not isinstance(detail, str):
            raise LabforgeFilterError(f"probe.detail must be a string, got {show(detail)}")
        text = " ".join(str(detail).split()) if detail is not None else ""  # one line for the reason
        if len(text) > DETAIL_MAX:
            text = text[: DETAIL_MAX - 3] + "..."
        return (PROBE_PASSED if booted else PROBE_FAILED), (text or None)
    raise LabforgeFilterError(f"probe {show(probe)} has the wrong type; accepted: {PROBE_ACCEPTED}")


def _reason(vmx: bool, svm: bool, device: bool, state: str, detail: str | None) -> str:
    if not (vmx or svm):
        seen = " although /dev/kvm exists" if device else ""
        return (
            f"CPU has no vmx/svm flag in /proc/cpuinfo{seen} (hardware virtualisation absent, "
            "disabled in firmware, or hidden by an outer hypervisor); using TCG"
        )
    cpu = "vmx" if vmx else "svm"
    if not device:
        return (
            f"/dev/kvm missing (CPU has {cpu}, but the kvm module is not loaded or the device is not passed in); "
            "using TCG"
        )
    if state == PROBE_FAILED:
        return f"/dev/kvm present but a test guest did not boot under KVM ({detail or 'no detail given'}); using TCG"
    if state == PROBE_NOT_RUN:
        return (
            f"CPU has {cpu} and /dev/kvm is present, but the KVM boot probe was not run, so KVM is not trusted; "
            "using TCG"
        )
    return f"CPU has {cpu}, /dev/kvm is present and a test guest booted under KVM; using KVM"


def virt_capability(cpuinfo: object, kvm_device_present: object, probe: object = None) -> dict[str, Any]:
    if not isinstance(cpuinfo, str):
        raise LabforgeFilterError(f"cpuinfo must be the text of /proc/cpuinfo (a string), got {got(cpuinfo)}")
    if not isinstance(kvm_device_present, bool):
        raise LabforgeFilterError(
            f"kvm_device_present must be true or false (e.g. the exists field of a stat of /dev/kvm), "
            f"got {show(kvm_device_present)}"
        )
    flags = cpu_flags(cpuinfo)
    vmx, svm = "vmx" in flags, "svm" in flags
    state, detail = _probe(probe)
    usable = (vmx or svm) and kvm_device_present and state == PROBE_PASSED
    return {
        "vmx": vmx,
        "svm": svm,
        "hw_virt": vmx or svm,
        "kvm_device": kvm_device_present,
        "kvm_probe": state,
        "kvm_usable": usable,
        "accel": "kvm" if usable else "tcg",
        "reason": _reason(vmx, svm, kvm_device_present, state, detail),
    }


def virt_accel_choice(capability: object, requested: object, variable: str = "hypervisor_accel") -> str:
    """'kvm' or 'tcg' for the requested acceleration (auto, kvm or tcg)."""
    if not isinstance(requested, str) or requested not in ACCEL_CHOICES:
        raise LabforgeFilterError(f"{variable} is {show(requested)}; accepted: {', '.join(ACCEL_CHOICES)}")
    if not isinstance(capability, Mapping) or not isinstance(capability.get("kvm_usable"), bool):
        raise LabforgeFilterError(
            "capability must be the result of virt_capability (a mapping with kvm_usable and reason), "
            f"got {show(capability)}"
        )
    usable = capability["kvm_usable"]
    if requested == "tcg":
        return "tcg"
    if requested == "auto":
        return "kvm" if usable else "tcg"
    if not usable:
        reason = capability.get("reason") or "no reason recorded"
        raise LabforgeFilterError(
            f"{variable} is 'kvm' but KVM is not usable on this host: {reason}. Set {variable} to 'auto' or 'tcg'"
        )
    return "kvm"


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
