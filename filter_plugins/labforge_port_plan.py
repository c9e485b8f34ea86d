"""Ansible filter shim: stable ports for Jupyter instances (logic in labforge_filters.port_plan)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.port_plan import jupyter_port_plan  # noqa: E402

DOCUMENTATION = r"""
name: jupyter_port_plan
short_description: Assign stable TCP ports to Jupyter instances (jupyter_port_plan)
version_added: 0.1.0
author: labforge maintainers
description:
  - >-
    C(jupyter_port_plan) maps every present instance name to a port, so that re-running the role,
    or adding and removing other instances, never moves an instance that got its port automatically.
  - An explicit O(_input[].port) is kept. Two instances asking for the same port are an error naming both.
  - >-
    An automatic instance (no port, null or C(auto)) keeps its port from O(previous) unless an explicit
    port now claims it (or, if O(previous) is inconsistent, an automatic instance earlier in name order
    holds it); then, like a new instance, it gets the lowest free port from O(range_start) to
    O(range_end), instances taken in name order. A recorded port outside the range is kept.
  - Instances with C(state=absent) get no port and free theirs; entries of O(previous) for unknown names are ignored.
  - >-
    Errors: duplicate names, a port that is not an integer from 1 to 65535 (booleans and numeric
    strings included), a bad O(previous) entry for a present instance, a bad range, or no free port left.
options:
  _input:
    description:
      - The instances, a list of mappings with C(name) (required, unique), C(port) (integer, null, absent or C(auto))
        and C(state) (optional; only C(absent) matters). Other keys are ignored.
    type: list
    elements: dict
    required: true
  previous:
    description:
      - The plan recorded on the host by the previous run, instance name to port. Null for a first run.
    type: dict
  range_start:
    description:
      - Lowest port for automatic instances.
    type: int
    default: 8888
  range_end:
    description:
      - Highest port for automatic instances (inclusive).
    type: int
    default: 8999
"""

EXAMPLES = r"""
- name: Plan ports, keeping those recorded by the previous run
  ansible.builtin.set_fact:
    __jupyter_ports: "{{ jupyter_instances | jupyter_port_plan(__jupyter_recorded_ports | default(none)) }}"
  # jupyter_instances: [{name: alice}, {name: bob, port: 8888}, {name: carol, state: absent}]
  # __jupyter_recorded_ports: {alice: 8888}
  # => {"alice": 8889, "bob": 8888}   (bob's explicit port claims 8888)

- name: Use another range
  ansible.builtin.debug:
    msg: "{{ [{'name': 'a'}, {'name': 'b', 'port': 'auto'}] | jupyter_port_plan(none, 9000, 9009) }}"
  # => {"a": 9000, "b": 9001}
"""

RETURN = r"""
_value:
  description:
    - C(jupyter_port_plan) returns a dictionary of instance name to port for every instance that is not absent,
      in input order.
  type: dict
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"jupyter_port_plan": jupyter_port_plan})
