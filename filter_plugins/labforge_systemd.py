"""Ansible filter shim: systemd escaping and Environment= quoting (logic in labforge_filters.systemd)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.systemd import (  # noqa: E402
    systemd_env_quote,
    systemd_escape,
    systemd_unescape,
    systemd_unit_states,
)

DOCUMENTATION = r"""
name: systemd_escape
short_description: >-
  Escape for systemd unit names, quote Environment= values, and list units' wanted states
  (systemd_escape, systemd_unescape, systemd_env_quote, systemd_unit_states)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds four filters.
  - >-
    C(systemd_escape) returns exactly what C(systemd-escape VALUE) prints, or with O(path=true) what
    C(systemd-escape --path VALUE) prints - for template instance names (C(jupyter@{{ name | systemd_escape }}.service))
    and mount units (C({{ '/srv/data' | systemd_escape(true) }}.mount) is C(srv-data.mount)).
  - >-
    C(/) becomes C(-); ASCII letters, digits, C(:), C(_) and C(.) stay, except a leading C(.); every
    other byte of the UTF-8 text becomes C(\xNN). With O(path=true) the path is simplified first
    (repeated C(/), C(.) components and a trailing C(/) dropped), C(..) components are an error and
    the root is C(-). Unlike C(systemd-escape), which prints C(-) with a warning, an empty path is an
    error. Relative paths are escaped as systemd-escape does. NUL characters are refused.
  - >-
    C(systemd_unescape) is the inverse, as C(systemd-escape --unescape [--path]) - only C(\xNN)
    escapes are accepted, and with O(path=true) the result must be a normalized absolute path.
  - >-
    C(systemd_env_quote) returns C("NAME=value") for an C(Environment=) line - C(\) and C(") are
    backslash-escaped and C(%) is doubled to C(%%) so that systemd's specifier expansion leaves it
    alone. The name must match C([A-Za-z_][A-Za-z0-9_]*). The value is a string or a number; newlines,
    NUL and other control characters (tab excepted) are refused, and the error never shows the value.
  - >-
    C(systemd_unit_states) gives each unit name in the list the same C(state) (C(started), C(stopped)
    or C(restarted)) and, when given, C(enabled), as the C(labforge_units) module takes its C(units).
options:
  _input:
    description:
      - C(systemd_escape) takes the text or path to escape.
      - C(systemd_unescape) takes the escaped text.
      - C(systemd_env_quote) takes the variable name.
      - C(systemd_unit_states) takes a list of unit names.
    type: raw
    required: true
  path:
    description:
      - Positional argument of C(systemd_escape) and C(systemd_unescape).
      - Treat the value as a file system path (C(--path)).
    type: bool
    default: false
  value:
    description:
      - Positional argument of C(systemd_env_quote), the variable's value (string or number).
    type: raw
  state:
    description:
      - Positional argument of C(systemd_unit_states), the state every unit is brought to.
    type: str
    choices: [started, stopped, restarted]
  enabled:
    description:
      - Optional argument of C(systemd_unit_states), whether every unit starts at boot (left as it is when omitted).
    type: bool
"""

EXAMPLES = r"""
- name: Instance unit name for an instance called "Data Lab/2"
  ansible.builtin.debug:
    msg: "jupyter@{{ 'Data Lab/2' | systemd_escape }}.service"
  # => "jupyter@Data\x20Lab-2.service"

- name: Mount unit for a directory
  ansible.builtin.debug:
    msg: "{{ '/srv/jupyter-data/' | systemd_escape(true) }}.mount"
  # => "srv-jupyter\x2ddata.mount"

- name: Back from a unit instance to the path
  ansible.builtin.debug:
    msg: '{{ "srv-jupyter\\x2ddata" | systemd_unescape(true) }}'
  # => "/srv/jupyter-data"

- name: Environment line in a unit template
  ansible.builtin.debug:
    msg: "Environment={{ 'JUPYTER_TOKEN' | systemd_env_quote('50% \"off\"') }}"
  # => Environment="JUPYTER_TOKEN=50%% \"off\""

- name: Start and enable two units in one call
  labforge_units:
    units: "{{ ['virtqemud.socket', 'virtnetworkd.socket'] | systemd_unit_states('started', true) }}"
  # units: [{name: virtqemud.socket, state: started, enabled: true}, {name: virtnetworkd.socket, ...}]
"""

RETURN = r"""
_value:
  description:
    - C(systemd_escape) returns the escaped string.
    - C(systemd_unescape) returns the unescaped string.
    - C(systemd_env_quote) returns the quoted C("NAME=value") assignment, quotes included.
    - C(systemd_unit_states) returns a list of mappings with C(name), C(state) and, when given, C(enabled).
  type: raw
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "systemd_escape": systemd_escape,
                "systemd_unescape": systemd_unescape,
                "systemd_env_quote": systemd_env_quote,
                "systemd_unit_states": systemd_unit_states,
            }
        )
