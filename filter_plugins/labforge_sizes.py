"""Ansible filter shim: size strings as bytes, for container memory and VM disks (logic in labforge_filters.sizes)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.sizes import size_bytes, size_valid  # noqa: E402

DOCUMENTATION = r"""
name: size_bytes
short_description: Size strings as bytes, read as Docker reads them (size_bytes, size_valid)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds two filters.
  - >-
    C(size_bytes) converts a size as Docker reads it (go-units C(RAMInBytes), used for
    C(--memory), C(--shm-size), C(default-shm-size) and the like) into a number of bytes. The
    jupyter role checks memory limits with it and lab_vm the guests' disk sizes, so that a size
    is written the same way for both.
  - >-
    Accepted - an integer of bytes (0 or more, passed through), or a string - a decimal number, at
    most one space, then an optional unit C(b), C(k), C(m), C(g), C(t) or C(p) in any case, where a
    unit other than C(b) may be followed by C(i), C(b) or C(ib) - C(100), C(512m), C(4g), C(2GiB),
    C(1.5g), C(512 MB). All units are binary (C(1k) is 1024). Fractions are truncated like Docker
    does (C(1.5k) is 1536, C(0.1k) is 102).
  - >-
    Rejected - booleans, floats (write C('1.5g')), negative numbers, empty strings, unknown units
    (C(12XB)), leading spaces or more than one space, more than 2**63-1 bytes. Number spellings that
    Go's float parser would also take (C(.5g), C(1e3), C(+1)) are refused on purpose.
  - C(size_valid) returns whether C(size_bytes) would accept the value, without failing.
options:
  _input:
    description:
      - The size, for both filters.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Memory limit in bytes
  ansible.builtin.debug:
    msg: "{{ '1.5g' | size_bytes }}"
  # => 1610612736

- name: Validate a size given in the inventory before anything changes
  ansible.builtin.assert:
    that: jupyter_memory_limit | size_valid
    fail_msg: "jupyter_memory_limit={{ jupyter_memory_limit }} is not a Docker size such as 512m or 2g"
"""

RETURN = r"""
_value:
  description:
    - C(size_bytes) returns the size in bytes, an integer.
    - C(size_valid) returns true when the value is a valid size.
  type: raw
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"size_bytes": size_bytes, "size_valid": size_valid})
