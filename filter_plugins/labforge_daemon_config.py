"""Ansible filter shim: Docker daemon.json merging, the merge over the host's file, and flag clashes
(logic in labforge_filters.daemon_config)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.daemon_config import (  # noqa: E402
    docker_daemon_blame,
    docker_daemon_flag_clashes,
    docker_daemon_merge,
    docker_daemon_reconcile,
)
from labforge_filters.errors import ansible_filter_map  # noqa: E402

DOCUMENTATION = r"""
name: docker_daemon_merge
short_description: >-
  Build Docker's daemon.json from layers, over the host's own file, and find flag clashes
  (docker_daemon_merge, docker_daemon_reconcile, docker_daemon_flag_clashes, docker_daemon_blame)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds four filters.
  - >-
    C(docker_daemon_merge) deep-merges daemon.json settings: the input first, then each layer given as
    an argument, later layers winning.
  - "Rules: a scalar (string, number, boolean) in a later layer replaces the earlier value."
  - "Mappings merge key by key, recursively."
  - >-
    Lists become the union of every layer's items in first-seen order; duplicates are dropped,
    items (mappings too) compared by JSON equality, so C(true) and C(1) differ. Lists are never
    replaced, only extended.
  - >-
    A null value deletes the key (at any depth of mappings, in any argument), so a later layer can
    remove a setting made by an earlier one, for example C({"log-opts": {"max-file": null}}). Nulls
    never reach the result. Null items inside lists are ordinary list items.
  - When a key holds different kinds in two layers (say a list, then a string), the later value replaces the earlier.
  - Keys must be strings. The inputs are not modified.
  - >-
    C(docker_daemon_reconcile) merges the layers over the settings of the host's existing daemon.json
    (the input) instead of over nothing, so that keys an operator added to the file by hand stay. Its
    first argument is what labforge wanted the last time it wrote the file (the layers merged, an
    empty mapping when it never did).
  - >-
    Before the merge it takes out of the host's settings what labforge wrote earlier and no layer
    wants any more: a top-level or nested key, or a list item. Parts the operator added stay: keys
    inside a mapping labforge wrote, items in a list labforge wrote; a mapping or list left empty goes.
    Keys labforge never wrote are the operator's; a layer's value replaces or merges with them by the
    rules above, and a null in a layer removes them.
  - >-
    With an empty input and an empty first argument the result is that of C(docker_daemon_merge) over
    the layers; merging again over its own result, with the same layers as the first argument, gives the
    same result.
  - >-
    C(docker_daemon_flag_clashes) lists the daemon.json keys that are also set by dockerd command-line
    flags (for example in the systemd unit's C(ExecStart)). dockerd refuses to start when a setting
    comes from both places, the usual case being C(hosts) in daemon.json with C(-H fd://) in the
    Debian unit.
  - >-
    A long flag C(--foo-bar) sets key C(foo-bar), except the repeatable flags whose key is a plural:
    C(--host)/C(-H) C(hosts), C(--label) C(labels), C(--registry-mirror) C(registry-mirrors),
    C(--insecure-registry) C(insecure-registries), C(--exec-opt) C(exec-opts), C(--default-ulimit)
    C(default-ulimits), C(--storage-opt) C(storage-opts), C(--log-opt) C(log-opts), C(--dns-opt)
    C(dns-opts), C(--add-runtime) C(runtimes), C(--authorization-plugin) C(authorization-plugins),
    C(--default-address-pool) C(default-address-pools), C(--node-generic-resource)
    C(node-generic-resources), C(--feature) C(features), C(--cdi-spec-dir) C(cdi-spec-dirs).
  - >-
    Short flags: C(-b) bridge, C(-D) debug, C(-G) group, C(-H) hosts, C(-l) log-level, C(-p) pidfile,
    C(-s) storage-driver (grouped like C(-DH) or with attached values like C(-Hfd://) too). Any other
    short flag is an error. C(--config-file), C(--validate), C(--help) and C(--version) set no key.
  - >-
    Flag values, the program path and systemd prefixes are skipped; a flag counts as set even with a
    value of C(false), as dockerd sees it.
  - >-
    C(docker_daemon_blame) names the variables behind a change of daemon.json, for the message of a
    change dockerd refused: the input is the file's settings before, the first argument after, the
    second a mapping of variable names to their settings in merge order. It returns one
    C(variable (key)) per top-level key that changed, sorted by key; a changed scalar is blamed on the
    last variable that sets it, a changed mapping or list on every variable that sets it, a key that no
    variable sets any more is reported as removed.
options:
  _input:
    description:
      - C(docker_daemon_merge) takes the base daemon.json settings, a mapping.
      - C(docker_daemon_flag_clashes) takes the daemon.json settings to check, a mapping (top-level keys are compared).
    type: dict
    required: true
  layers:
    description:
      - Positional arguments of C(docker_daemon_merge), any number of mappings merged over the input in order.
      - For C(docker_daemon_reconcile) the arguments after I(previous).
      - For C(docker_daemon_blame) the second argument, variable names mapped to their settings in merge order.
    type: list
    elements: dict
  previous:
    description:
      - First positional argument of C(docker_daemon_reconcile), what labforge wanted the last time it
        wrote daemon.json, a mapping (empty when it never did).
    type: dict
  after:
    description: First positional argument of C(docker_daemon_blame), the settings after the change.
    type: dict
  flags:
    description:
      - Positional argument of C(docker_daemon_flag_clashes).
      - >-
        The dockerd command line as one string (split like a shell would, for example an C(ExecStart)
        value) or a list of strings (each item split the same way, so C(["-H fd://"]) and C(["-H", "fd://"]) both work).
      - Null means no flags.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Combine role defaults, group settings and host settings
  ansible.builtin.set_fact:
    __docker_daemon_json: >-
      {{ docker_daemon_defaults | docker_daemon_merge(docker_daemon_options, docker_daemon_host_options) }}
  # {"log-opts": {"max-size": "10m"}, "registry-mirrors": ["http://a"]}
  #   | docker_daemon_merge({"log-opts": {"max-file": "3"}, "registry-mirrors": ["http://b", "http://a"]})
  # => {"log-opts": {"max-size": "10m", "max-file": "3"}, "registry-mirrors": ["http://a", "http://b"]}

- name: Drop a default setting in one host's layer
  ansible.builtin.debug:
    msg: "{{ {'live-restore': true, 'debug': true} | docker_daemon_merge({'debug': none}) }}"
  # => {"live-restore": true}

- name: Merge the layers into the host's daemon.json, keeping the operator's keys
  ansible.builtin.set_fact:
    __docker_daemon_json: >-
      {{ host_daemon_json | docker_daemon_reconcile(wanted_last_time, docker_daemon_defaults, docker_daemon_options) }}
  # {"debug": true, "labels": ["op", "old"], "icc": false}
  #   | docker_daemon_reconcile({"labels": ["old"], "icc": false}, {"labels": ["new"], "icc": none})
  # => {"debug": true, "labels": ["op", "new"]}

- name: Refuse daemon.json keys that the unit's ExecStart already sets
  ansible.builtin.assert:
    that: __clashes | length == 0
    fail_msg: "daemon.json and dockerd flags both set {{ __clashes | join(', ') }}"
  vars:
    __clashes: >-
      {{ __docker_daemon_json | docker_daemon_flag_clashes(
           '/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock') }}
  # with {"hosts": ["unix:///run/docker.sock"], "containerd": "/x"} => ["containerd", "hosts"]

- name: Name the variables behind a change dockerd refused
  ansible.builtin.debug:
    msg: "{{ old_settings | docker_daemon_blame(new_settings, {'docker_engine_data_root': {'data-root': '/srv/d'}}) }}"
  # with old {} and new {"data-root": "/srv/d"} => ["docker_engine_data_root (data-root)"]
"""

RETURN = r"""
_value:
  description:
    - C(docker_daemon_merge) returns the merged daemon.json settings, a new dictionary.
    - C(docker_daemon_reconcile) returns the daemon.json settings to write over the host's file, a new dictionary.
    - C(docker_daemon_flag_clashes) returns the clashing daemon.json keys, sorted; empty when there is none.
    - C(docker_daemon_blame) returns a list of strings, C(variable (key)); empty when nothing changed.
  type: raw
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "docker_daemon_merge": docker_daemon_merge,
                "docker_daemon_reconcile": docker_daemon_reconcile,
                "docker_daemon_flag_clashes": docker_daemon_flag_clashes,
                "docker_daemon_blame": docker_daemon_blame,
            }
        )
