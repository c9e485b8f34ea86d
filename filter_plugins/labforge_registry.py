"""Ansible filter shim: the registry_mirror role's caches, image references through them, and
the blobs of image manifests (logic in labforge_filters.registry)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.registry import (  # noqa: E402
    registry_manifest_blobs,
    registry_mirror_endpoints,
    registry_mirror_files,
    registry_mirror_image,
    registry_mirror_plan,
    registry_mirror_stale,
    registry_mirror_units,
)

DOCUMENTATION = r"""
name: registry_mirror_image
short_description: Pull images through the lab's registry mirror, and the registry_mirror role's helpers
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds seven filters. The first two are for inventories; the others are the registry_mirror role's.
  - >-
    C(registry_mirror_image) rewrites an image reference so that it is pulled through the lab's cache of its
    registry: when the mapping of mirrors has the reference's registry (as Docker names it: C(quay.io),
    C(docker.io), C(registry.lab.example:5000)), that registry is replaced by the cache's C(host:port) and
    the repository, tag and digest are kept; any other reference comes back unchanged. Docker's
    C(registry-mirrors) setting redirects Docker Hub images only; this works for every registry.
  - >-
    C(registry_mirror_endpoints) turns C(registry_mirror_upstreams) into that mapping, for the mirror host
    reached at the given address: each upstream's registry name to C(address:port).
  - >-
    C(registry_mirror_plan) checks the role's upstreams (C(registry_mirror_upstreams) and the single-upstream
    variables) and returns one cache per upstream, with its unit, config file, storage and listen address.
    Bad input fails naming the variable and what is accepted: a malformed URL, a port outside 1-65535, two
    upstreams on one port or for one registry, half of a login, a malformed prefetch entry.
  - >-
    C(registry_mirror_files) returns what the role writes for those caches, for the C(labforge_files) module:
    directories, each cache's storage, and each cache's docker-registry config (a secret file when it carries
    the upstream's password), keyed by the cache's unit so that only changed caches restart.
  - >-
    C(registry_mirror_stale) returns the caches whose units the host has enabled but the plan no longer lists;
    C(registry_mirror_units) builds C(labforge_units) entries for unit names.
  - >-
    C(registry_manifest_blobs) takes the results of uri tasks that fetched image manifests from a
    registry (each with C(url) ending in C(/v2/REPOSITORY/manifests/REFERENCE) and the manifest as
    C(json)) and returns every blob they name, the config first and then the layers, each once per
    registry and repository. A multi-platform index has no blobs of its own: fetch the manifest of one
    platform first.
options:
  _input:
    description:
      - C(registry_mirror_image) takes an image reference such as C(quay.io/jupyter/scipy-notebook:2025-10-20).
      - C(registry_mirror_files) takes what C(registry_mirror_plan) returned.
      - C(registry_mirror_endpoints) and C(registry_mirror_plan) take C(registry_mirror_upstreams), a list of
        mappings with C(url) and C(port) and optionally C(name), C(username), C(password), C(prefetch).
      - C(registry_mirror_stale) takes the paths of the cache units' links found in the host's .wants directory.
      - C(registry_mirror_units) takes unit names.
      - C(registry_manifest_blobs) takes the uri results (C(register).results), each with C(url) and C(json).
    type: raw
    required: true
  mirrors:
    description: Argument of C(registry_mirror_image), a mapping of registry names to the mirror's C(host:port).
    type: dict
    required: true
  address:
    description: Argument of C(registry_mirror_endpoints), the host name or IP address the lab reaches the mirror at.
    type: str
    required: true
  shorthand:
    description: >-
      Argument of C(registry_mirror_plan), the single-upstream variables as one upstream (C(url) empty when
      C(registry_mirror_upstream) is not set).
    type: dict
  settings:
    description:
      - Argument of C(registry_mirror_plan), C(storage_dir), C(config_dir) and C(listen_address).
      - Argument of C(registry_mirror_files), C(user), C(config_dir), C(storage_dir), C(log_level) and C(header).
    type: dict
  plan:
    description: Argument of C(registry_mirror_stale), what C(registry_mirror_plan) returned.
    type: list
    elements: dict
  config_dir:
    description: Argument of C(registry_mirror_stale), the directory of the caches' config files.
    type: str
  state:
    description: Argument of C(registry_mirror_units), the state to give each unit (started, stopped, restarted).
    type: str
  enabled:
    description: Argument of C(registry_mirror_units), whether each unit starts at boot.
    type: bool
"""

EXAMPLES = r"""
# group_vars/all: the mirror host's upstreams, and where the lab pulls through them.
#   registry_mirror_upstreams:
#     - {url: "https://registry-1.docker.io", port: 5000}
#     - {url: "https://quay.io", port: 5001}
#   lab_registry_mirrors: "{{ registry_mirror_upstreams | registry_mirror_endpoints('mirror.lab.example') }}"
#   => {"docker.io": "mirror.lab.example:5000", "quay.io": "mirror.lab.example:5001"}
#   jupyter_image: "{{ 'quay.io/jupyter/scipy-notebook:2025-10-20' | registry_mirror_image(lab_registry_mirrors) }}"
#   => "mirror.lab.example:5001/jupyter/scipy-notebook:2025-10-20"
- name: Show where an image is pulled from
  ansible.builtin.debug:
    msg: "{{ 'quay.io/jupyter/scipy-notebook:2025-10-20' | registry_mirror_image({'quay.io': 'mirror.lab.example:5001'}) }}"

- name: The mapping for the inventory
  ansible.builtin.debug:
    msg: "{{ [{'url': 'https://quay.io', 'port': 5001}] | registry_mirror_endpoints('mirror.lab.example') }}"

- name: The role's caches
  ansible.builtin.debug:
    msg: "{{ registry_mirror_upstreams | registry_mirror_plan({'url': ''}, {'storage_dir': '/var/lib/docker-registry'}) }}"

- name: What to write for the caches
  labforge_files: "{{ __caches | registry_mirror_files({'user': 'docker-registry', 'config_dir': '/etc/docker/registry/mirrors',
                      'storage_dir': '/var/lib/docker-registry', 'log_level': 'info'}) }}"

- name: Caches to stop
  ansible.builtin.debug:
    msg: >-
      {{ ['/etc/systemd/system/multi-user.target.wants/labforge-registry-mirror@5002.service']
         | registry_mirror_stale(__plan, '/etc/docker/registry/mirrors') }}

- name: Units to start
  ansible.builtin.debug:
    msg: "{{ ['labforge-registry-mirror@5001.service'] | registry_mirror_units('started', true) }}"

- name: Look for each blob in the cache's storage
  ansible.builtin.stat:
    path: "/var/lib/docker-registry/quay.io/docker/registry/v2/blobs/sha256/{{ item.digest[7:9] }}/{{ item.digest[7:] }}/data"
  loop: "{{ __manifests.results | registry_manifest_blobs }}"
  # [{"url": "http://127.0.0.1:5001/v2/team/app/manifests/1", "json": {"config": {"digest": "sha256:aa.."},
  #   "layers": [{"digest": "sha256:bb.."}]}}] | registry_manifest_blobs
  #   => [{"base": "http://127.0.0.1:5001", "repository": "team/app", "digest": "sha256:aa.."},
  #       {"base": "http://127.0.0.1:5001", "repository": "team/app", "digest": "sha256:bb.."}]
"""

RETURN = r"""
_value:
  description:
    - C(registry_mirror_image) returns the image reference to pull, a string.
    - C(registry_mirror_endpoints) returns a mapping of registry names to C(host:port).
    - >-
      C(registry_mirror_plan) returns one mapping per cache: name, url, port, username, password, prefetch,
      variable (how errors name it), unit, config, storage, blob_dir, listen, local_url, prefetch_manifests.
    - C(registry_mirror_files) returns a mapping of C(directories), C(files) and C(secret_files) lists.
    - C(registry_mirror_stale) returns a list of C(unit), C(config) mappings.
    - C(registry_mirror_units) returns a list of C(name) mappings with C(state) and C(enabled) when given.
    - C(registry_manifest_blobs) returns a list of C(base), C(repository), C(digest) mappings.
  type: raw
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "registry_mirror_image": registry_mirror_image,
                "registry_mirror_endpoints": registry_mirror_endpoints,
                "registry_mirror_plan": registry_mirror_plan,
                "registry_mirror_files": registry_mirror_files,
                "registry_mirror_stale": registry_mirror_stale,
                "registry_mirror_units": registry_mirror_units,
                "registry_manifest_blobs": registry_manifest_blobs,
            }
        )
