"""Ansible filter shim: KVM or TCG for virtual machines (logic in labforge_filters.virt)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.virt import virt_accel_choice, virt_capability  # noqa: E402

DOCUMENTATION = r"""
name: virt_capability
short_description: Decide between KVM and TCG for guests (virt_capability, virt_accel_choice)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds two filters.
  - >-
    C(virt_capability) sums up whether guests can run under KVM. A host may have C(/dev/kvm) (where
    even KVM_CREATE_VM succeeds) while guests hang early in boot, as with unusable nested
    virtualisation, so C(/dev/kvm) is not trusted alone.
  - >-
    The verdict is C(kvm) only when the CPU flags show C(vmx) or C(svm), C(/dev/kvm) is present, and
    a test guest booted under KVM within a timeout (the probe passed). Otherwise it is C(tcg), with a
    reason sentence that names the first missing piece - no vmx/svm, C(/dev/kvm) missing, the test
    guest did not boot (with the probe's detail), or the probe was not run.
  - >-
    C(virt_accel_choice) turns the requested acceleration (C(auto), C(kvm) or C(tcg)) into C(kvm) or
    C(tcg). C(auto) follows the capability; C(kvm) when KVM is unusable fails naming the variable
    and the reason; any other value fails naming the variable and the accepted values.
options:
  _input:
    description:
      - C(virt_capability) takes the text of C(/proc/cpuinfo) (for example slurped and b64decoded); its
        C(flags) lines are read.
      - C(virt_accel_choice) takes the dictionary returned by C(virt_capability).
    type: raw
    required: true
  kvm_device_present:
    description:
      - Positional argument of C(virt_capability), whether C(/dev/kvm) exists (a boolean, such as C(stat.exists)).
    type: bool
    required: true
  probe:
    description:
      - Positional argument of C(virt_capability), the result of booting a tiny guest under KVM with a timeout.
      - Null or C(not_run) when no probe ran; C(passed) or C(failed); or a mapping with C(booted) (boolean,
        required) and C(detail) (string, optional, quoted in the reason on one line, at most 200 characters,
        such as C(no serial marker after 60 s)).
      - A mapping with C(skipped=true), such as the registered result of a skipped task, counts as not run.
    type: raw
  requested:
    description:
      - Positional argument of C(virt_accel_choice), the wanted acceleration - C(auto), C(kvm) or C(tcg).
    type: str
    required: true
  variable:
    description:
      - Positional argument of C(virt_accel_choice), the variable name used in error messages.
    type: str
    default: hypervisor_accel
"""

EXAMPLES = r"""
- name: Sum up what the host can do
  ansible.builtin.set_fact:
    __hypervisor_capability: >-
      {{ (__cpuinfo.content | b64decode)
         | virt_capability(__kvm_stat.stat.exists,
                           {'booted': __probe.rc == 0, 'detail': __probe.stderr | default('')}) }}
  # => {"vmx": false, "svm": false, "hw_virt": false, "kvm_device": true, "kvm_probe": "failed",
  #     "kvm_usable": false, "accel": "tcg", "reason": "CPU has no vmx/svm flag in /proc/cpuinfo although ..."}

- name: Pick the accelerator; fails when kvm is forced but unusable
  ansible.builtin.set_fact:
    __hypervisor_accel: "{{ __hypervisor_capability | virt_accel_choice(hypervisor_accel) }}"

- name: Same, with the role's own variable name in the error
  ansible.builtin.debug:
    msg: "{{ __hypervisor_capability | virt_accel_choice(labforge_vm_accel, 'labforge_vm_accel') }}"
"""

RETURN = r"""
_value:
  description:
    - C(virt_capability) returns a dictionary with the keys below.
    - C(virt_accel_choice) returns C(kvm) or C(tcg).
  type: raw
  contains:
    vmx:
      description: The CPU flags include C(vmx) (Intel VT-x).
      type: bool
    svm:
      description: The CPU flags include C(svm) (AMD-V).
      type: bool
    hw_virt:
      description: C(vmx) or C(svm).
      type: bool
    kvm_device:
      description: C(/dev/kvm) exists.
      type: bool
    kvm_probe:
      description: C(passed), C(failed) or C(not_run).
      type: str
    kvm_usable:
      description: Hardware virtualisation, the device and a passed probe.
      type: bool
    accel:
      description: C(kvm) when RV(_value.kvm_usable), else C(tcg).
      type: str
    reason:
      description: One sentence saying why.
      type: str
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"virt_capability": virt_capability, "virt_accel_choice": virt_accel_choice})
