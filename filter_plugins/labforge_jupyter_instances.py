"""Ansible filter shim: check and complete jupyter_instances (logic in labforge_filters.jupyter_instances)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.jupyter_instances import (  # noqa: E402
    jupyter_instances_check,
    ss_listeners,
)

DOCUMENTATION = r"""
name: jupyter_instances_check
short_description: Check and complete the jupyter role's instances (jupyter_instances_check)
version_added: 0.1.0
author: labforge maintainers
description:
  - >-
    C(jupyter_instances_check) validates every instance of C(jupyter_instances) before the role changes
    anything and returns them completed: defaults filled in, a port from C(jupyter_port_plan), the image
    parsed by C(docker_image_ref), memory in bytes, the password hashed (a plain password whose current
    hash still matches keeps that hash, so re-runs change nothing), and the systemd unit and container
    names.
  - >-
    Errors name the instance and the field - C(jupyter_instances[alice]: memory ...) - for a bad name or
    duplicate, an unknown field, a bad image reference, two instances on one port, a port another program
    listens on, a bad bind address, volume, memory size, cpus, pids limit, gpus, env, ui or base_url,
    and an instance with no way (or more than one way) to authenticate. A port held by C(dockerd) or C(docker-proxy)
    for the same instance in the previous plan is the instance itself, not a clash.
  - >-
    C(ss_listeners) turns the output of C(ss -Hltnp) into the C(busy_ports) list, each listening port
    with the program that holds it.
options:
  _input:
    description: >-
      C(jupyter_instances_check) takes the list C(jupyter_instances); C(ss_listeners) the text ss printed.
    type: list
    elements: dict
    required: true
  defaults:
    description: >-
      Positional argument of C(jupyter_instances_check), the role-wide defaults - image, bind_address, memory, cpus, pids_limit, ui,
      base_url and port_range (a list of start and end).
    type: dict
    required: true
  previous_ports:
    description: Positional argument of C(jupyter_instances_check), the port plan the last run recorded on the host (name to port).
    type: dict
  busy_ports:
    description: Positional argument of C(jupyter_instances_check), listeners of other programs on the host, as mappings with port and process.
    type: list
    elements: dict
  previous_hashes:
    description: Positional argument of C(jupyter_instances_check), the password hash each instance has on the host now (name to hash).
    type: dict
  host:
    description: >-
      Positional argument of C(jupyter_instances_check), what the host offers (C(cpus), C(memory) in bytes,
      C(gpus)) and what each volume path is (C(paths), path to C(directory), C(file) or C(missing)); an
      instance that asks for more CPUs, memory or GPUs than that, or whose volume path is a file, fails.
      Left out (the preflight, on the controller) these checks wait for the role's host read.
    type: dict
"""

EXAMPLES = r"""
- name: Check the instances before anything changes
  ansible.builtin.set_fact:
    __jupyter_instances: >-
      {{ jupyter_instances | jupyter_instances_check(__jupyter_defaults, __previous_ports, __busy_ports, __jupyter_host.password_hashes) }}
  # [{name: alice, token: ..., port: 8900}] => [{name: alice, port: 8900, unit: "labforge-jupyter@alice.service",
  #   container: labforge-jupyter-alice, image: {...}, memory: 2147483648, auth: token, ...}]

- name: Listening ports of other programs
  ansible.builtin.set_fact:
    __busy_ports: "{{ __ss.stdout | ss_listeners }}"
  # "LISTEN 0 4096 0.0.0.0:8888 0.0.0.0:* users:((\"nginx\",pid=1,fd=6))" => [{port: 8888, process: nginx}]
"""

RETURN = r"""
_value:
  description:
    - C(jupyter_instances_check) returns the instances, checked and completed, in their order.
    - C(ss_listeners) returns a list of mappings with C(port) (an integer) and C(process) (a name).
  type: list
  elements: dict
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "jupyter_instances_check": jupyter_instances_check,
                "ss_listeners": ss_listeners,
            }
        )
