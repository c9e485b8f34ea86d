"""Ansible filter shim: misspelled labforge variables, lists given as strings, listed users a host lacks (logic in labforge_filters.inventory)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.inventory import (  # noqa: E402
    labforge_not_lists,
    labforge_role_specs,
    labforge_unknown_vars,
    labforge_users_exist,
)

DOCUMENTATION = r"""
name: labforge_unknown_vars
short_description: Find misspelled labforge variables, and listed users a host does not have
version_added: 0.1.0
author: labforge maintainers
description:
  - >-
    C(labforge_unknown_vars) returns the variables of a host that carry a labforge role's prefix
    (such as C(docker_engine_) or C(jupyter_)) but that no role documents in its argument specs, each
    with the closest documented name as a suggestion. A misspelled variable is otherwise silently ignored
    and the role's default applies.
  - >-
    C(labforge_not_lists) returns a message for each variable whose argument spec is a list but that a host
    sets to a string or a mapping (the spec check would turn C(teacher) into C([teacher]) for itself only, and
    the role would loop over its letters): the variable, what was given and the right form.
  - >-
    C(labforge_role_specs) returns the argument spec files (C(meta/argument_specs.yml)) of the roles in a
    directory, sorted, read on the controller: where C(known) and C(prefixes) come from.
  - >-
    C(labforge_users_exist) returns a list of user names as it is when the host's passwd database (as
    C(ansible.builtin.getent) reads it) has every one of them, and fails naming the variable, the missing
    users and the host otherwise. docker_engine and hypervisor check the users they add to groups with it.
options:
  _input:
    description: >-
      C(labforge_unknown_vars) takes the host's variable names; C(labforge_not_lists) the roles' argument spec
      options; C(labforge_role_specs) the roles directory; C(labforge_users_exist) the user names.
    type: raw
    required: true
  known:
    description: Positional argument of C(labforge_unknown_vars), every variable the roles document.
    type: list
    elements: str
    required: true
  prefixes:
    description: Positional argument of C(labforge_unknown_vars), the roles' variable prefixes.
    type: list
    elements: str
    required: true
  values:
    description: Positional argument of C(labforge_not_lists), the host's variables (C(hostvars[inventory_hostname])).
    type: dict
    required: true
  passwd:
    description: Positional argument of C(labforge_users_exist), the host's passwd database (C(getent_passwd)).
    type: dict
    required: true
  variable:
    description: Positional argument of C(labforge_users_exist), the variable the users come from, for the message.
    type: str
    required: true
  host:
    description: Optional argument of C(labforge_users_exist), the host, for the message.
    type: str
    default: this host
"""

EXAMPLES = r"""
- name: Report misspelled variables
  ansible.builtin.debug:
    msg: "{{ ['jupyter_instance', 'jupyter_image'] | labforge_unknown_vars(['jupyter_instances', 'jupyter_image'], ['jupyter_']) }}"
  # => [{"name": "jupyter_instance", "suggestion": "jupyter_instances",
  #      "text": "jupyter_instance (did you mean jupyter_instances?)"}]

- name: Lists given as strings
  ansible.builtin.debug:
    msg: "{{ {'jupyterhub_admin_users': {'type': 'list'}} | labforge_not_lists({'jupyterhub_admin_users': 'teacher'}) }}"
  # => ['jupyterhub_admin_users must be a list, such as ["teacher"] (got a string "teacher")']

- name: The roles' argument specs
  ansible.builtin.debug:
    msg: "{{ role_path | dirname | labforge_role_specs }}"
  # => ["/srv/labforge/roles/docker_engine/meta/argument_specs.yml", ...]

- name: Check the users to put in the docker group
  ansible.builtin.assert:
    that: >-
      docker_engine_users | labforge_users_exist(ansible_facts['getent_passwd'], 'docker_engine_users', inventory_hostname)
      | length == docker_engine_users | length
  # fails: "docker_engine_users: bob does not exist on lab1; list existing users only"
"""

RETURN = r"""
_value:
  description: >-
    C(labforge_unknown_vars) returns a list of mappings with C(name), C(suggestion) (empty when none is close)
    and C(text), the two in a phrase for a message. C(labforge_not_lists) returns a list of messages.
    C(labforge_role_specs) returns a list of paths.
    C(labforge_users_exist) returns the user names.
  type: list
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"labforge_unknown_vars": labforge_unknown_vars,
                                   "labforge_not_lists": labforge_not_lists,
                                   "labforge_role_specs": labforge_role_specs,
                                   "labforge_users_exist": labforge_users_exist})
