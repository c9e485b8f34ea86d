"""Ansible filter shim: type checks for Docker's daemon.json (logic in labforge_filters.daemon_schema)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.daemon_schema import docker_daemon_check  # noqa: E402
from labforge_filters.errors import ansible_filter_map  # noqa: E402

DOCUMENTATION = r"""
name: docker_daemon_check
short_description: Check daemon.json settings before dockerd sees them (docker_daemon_check)
version_added: 0.1.0
author: labforge maintainers
description:
  - >-
    C(docker_daemon_check) returns the daemon.json settings unchanged when every top-level key is one
    dockerd knows and its value has the type dockerd expects (booleans, strings, integers, lists of
    strings, C(log-opts) as strings only, C(default-address-pools) as C(base)/C(size) mappings,
    C(log-level) one of debug, info, warn, error, fatal).
  - >-
    Otherwise it fails naming the variable, the key, the value and what is accepted. dockerd refuses to
    start on such a file, and Debian 12's dockerd has no C(--validate) to catch it first.
options:
  _input:
    description: The daemon.json settings, a mapping.
    type: dict
    required: true
  variable:
    description: Positional argument, the name of the variable the settings came from, used in messages.
    type: str
    default: daemon.json
  extra_keys:
    description: Positional argument, keys accepted without a check (options newer than the filter's list).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Fail early on a daemon.json value of the wrong type
  ansible.builtin.debug:
    msg: "{{ {'live-restore': 'yes'} | docker_daemon_check('docker_engine_daemon_config') }}"
  # fails: docker_engine_daemon_config: 'live-restore' must be a boolean, got a string 'yes'
"""

RETURN = r"""
_value:
  description: C(docker_daemon_check) returns the settings, unchanged, as a new dictionary.
  type: dict
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"docker_daemon_check": docker_daemon_check})
