"""Ansible filter shim: NVIDIA GPUs on the PCI bus (logic in labforge_filters.gpu)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.gpu import nvidia_gpus  # noqa: E402

DOCUMENTATION = r"""
name: nvidia_gpus
short_description: PCI addresses of NVIDIA GPUs, from sysfs (nvidia_gpus)
version_added: 0.1.0
author: labforge maintainers
description:
  - >-
    C(nvidia_gpus) reads the output of
    C(grep -H . /sys/bus/pci/devices/*/vendor /sys/bus/pci/devices/*/class) and returns the PCI
    addresses of devices with NVIDIA's vendor id C(0x10de) and a display-controller class (C(0x03xxxx):
    VGA, 3D or other display controllers, which covers data-centre GPUs). NVIDIA's audio and USB
    functions on the same card are not counted.
options:
  _input:
    description: The listing, as a list of lines (C(stdout_lines)) or one string.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Detect NVIDIA GPUs
  ansible.builtin.set_fact:
    __gpus: "{{ __pci_listing.stdout_lines | nvidia_gpus }}"
  # ["/sys/bus/pci/devices/0000:65:00.0/vendor:0x10de", "/sys/bus/pci/devices/0000:65:00.0/class:0x030200"]
  #   | nvidia_gpus  => ["0000:65:00.0"]
"""

RETURN = r"""
_value:
  description: C(nvidia_gpus) returns the PCI addresses of the NVIDIA GPUs, sorted; empty when there is none.
  type: list
  elements: str
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"nvidia_gpus": nvidia_gpus})
