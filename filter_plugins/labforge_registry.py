"""Ansible filter shim: the blobs of image manifests (logic in labforge_filters.registry)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.registry import registry_manifest_blobs  # noqa: E402

DOCUMENTATION = r"""
name: registry_manifest_blobs
short_description: The blobs (config and layers) of image manifests fetched with the uri module
version_added: 0.1.0
author: labforge maintainers
description:
  - >-
    C(registry_manifest_blobs) takes the results of uri tasks that fetched image manifests from a
    registry (each with C(url) ending in C(/v2/REPOSITORY/manifests/REFERENCE) and the manifest as
    C(json)) and returns every blob they name, the config first and then the layers, each once per
    repository. A multi-platform index has no blobs of its own: fetch the manifest of one platform first.
options:
  _input:
    description: The uri results (C(register).results), each with C(url) and C(json).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Look for each blob in the cache's storage
  ansible.builtin.stat:
    path: "/var/lib/docker-registry/docker/registry/v2/blobs/sha256/{{ item.digest[7:9] }}/{{ item.digest[7:] }}/data"
  loop: "{{ __manifests.results | registry_manifest_blobs }}"
  # [{"url": "http://127.0.0.1:5000/v2/team/app/manifests/1", "json": {"config": {"digest": "sha256:aa.."},
  #   "layers": [{"digest": "sha256:bb.."}]}}] | registry_manifest_blobs
  #   => [{"repository": "team/app", "digest": "sha256:aa.."}, {"repository": "team/app", "digest": "sha256:bb.."}]
"""

RETURN = r"""
_value:
  description: C(registry_manifest_blobs) returns a list of C(repository), C(digest) mappings.
  type: list
  elements: dict
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"registry_manifest_blobs": registry_manifest_blobs})
