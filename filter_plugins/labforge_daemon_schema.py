"""Ansible filter shim: type checks for Docker's daemon.json (logic in labforge_filters.daemon_schema)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.daemon_schema import (  # noqa: E402
    docker_daemon_check,
    docker_daemon_check_layers,
    docker_daemon_check_merged,
)
from labforge_filters.errors import ansible_filter_map  # noqa: E402

DOCUMENTATION = r"""
name: docker_daemon_check
short_description: >-
  Check daemon.json settings for what dockerd would refuse before dockerd sees them
  (docker_daemon_check, docker_daemon_check_layers, docker_daemon_check_merged)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds three filters.
  - >-
    C(docker_daemon_check) returns one layer of daemon.json settings unchanged when every top-level key is
    one dockerd knows, its value has the type dockerd expects, and the value means something dockerd takes.
  - >-
    Meaning, after dockerd's own rules: C(registry-mirrors) are http or https URLs with a host, an optional
    port (1 to 65535) and nothing after them but C(/) (no path, query, fragment or user);
    C(insecure-registries) and C(allow-nondistributable-artifacts) are host, host:port or a CIDR network,
    without a scheme; C(data-root), C(exec-root), C(pidfile), C(init-path), C(userland-proxy-path) and the
    C(tls*) files are absolute paths; C(default-address-pools) are C(base) (a network address with its
    prefix) and C(size) (from the base's prefix to 32, 128 for IPv6) with no two pools overlapping;
    C(log-driver) is a driver built into dockerd and C(log-opts) are options of that driver (of any
    driver when the layer sets none), C(max-size) a size above 0 such as C(10m), C(max-file) a positive
    integer as a string, C(compress) true or false; C(runtimes) have an absolute C(path) or a program name
    without C(/), and are not named C(runc); C(storage-driver) is a known driver; C(dns) are IP
    addresses, C(dns-search) domains, C(labels) key=value; C(log-level) is one of debug, info, warn,
    error, fatal; counts are not negative.
  - >-
    Otherwise it fails naming where the value is (the variable, and the key and index inside it), the
    value and what is accepted. Values that may be secrets (log options other than the sizes, the
    password of a URL) are never shown.
  - >-
    C(docker_daemon_check_layers) runs C(docker_daemon_check) on each layer of a mapping of variable names to
    settings, in one call: a task loop's failed item would print the whole layer, secrets included.
  - >-
    C(docker_daemon_check_merged) checks the merged settings for what no single layer shows: pools that
    overlap across layers, labels giving one key two values, log options the final log driver does not
    take, a default runtime no layer defines. It blames the last variable that sets the key.
options:
  _input:
    description: The daemon.json settings, a mapping.
    type: dict
    required: true
  variable:
    description: Positional argument of C(docker_daemon_check), the name of the variable the settings came from.
    type: str
    default: daemon.json
  extra_keys:
    description:
      - Positional argument of C(docker_daemon_check), C(docker_daemon_check_layers) and C(docker_daemon_check_merged), keys accepted without
        a check (options newer than the filter's list).
    type: list
    elements: str
    default: []
  stands_for:
    description:
      - >-
        Positional argument of C(docker_daemon_check), the daemon.json key the variable stands for on its own
        (C(registry-mirrors) for C(docker_engine_registry_mirrors)), so that messages point into the variable,
        as in C(docker_engine_registry_mirrors[0]); of C(docker_daemon_check_layers), a mapping of variable
        names to such keys.
    type: raw
    default: ""
  layers:
    description: First positional argument of C(docker_daemon_check_merged), variable names mapped to their settings.
    type: dict
  host_file:
    description:
      - Positional argument of C(docker_daemon_check_merged), what to blame for a key no layer sets.
    type: str
    default: the host's daemon.json
"""

EXAMPLES = r"""
- name: Fail early on a daemon.json value of the wrong type
  ansible.builtin.debug:
    msg: "{{ {'live-restore': 'yes'} | docker_daemon_check('docker_engine_daemon_config') }}"
  # fails: docker_engine_daemon_config: 'live-restore' must be a boolean, got a string 'yes'

- name: Fail early on a mirror that is no URL
  ansible.builtin.debug:
    msg: "{{ {'registry-mirrors': ['not a url']} | docker_daemon_check('docker_engine_registry_mirrors', [], 'registry-mirrors') }}"
  # fails: docker_engine_registry_mirrors[0] is 'not a url', its scheme '' is not http or https; accepted: ...

- name: Check every layer in one task
  ansible.builtin.assert:
    that: >-
      {'docker_engine_registry_mirrors': {'registry-mirrors': ['not a url']}}
      | docker_daemon_check_layers([], {'docker_engine_registry_mirrors': 'registry-mirrors'}) is mapping
  # fails: docker_engine_registry_mirrors[0] is 'not a url', ...

- name: Check the merged settings
  ansible.builtin.debug:
    msg: "{{ merged | docker_daemon_check_merged({'docker_engine_daemon_config': {'log-driver': 'journald'}}) }}"
  # with merged {"log-driver": "journald", "log-opts": {"max-size": "10m"}} fails:
  # docker_engine_daemon_config: log-opts.max-size: the journald log driver has no option 'max-size'; ...
"""

RETURN = r"""
_value:
  description: >-
    C(docker_daemon_check) and C(docker_daemon_check_merged) return the settings, C(docker_daemon_check_layers)
    the layers, unchanged, as a new dictionary.
  type: dict
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {"docker_daemon_check": docker_daemon_check, "docker_daemon_check_layers": docker_daemon_check_layers,
             "docker_daemon_check_merged": docker_daemon_check_merged}
        )
