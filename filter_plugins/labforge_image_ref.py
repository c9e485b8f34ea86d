"""Ansible filter shim: container image references (logic in labforge_filters.image_ref)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.image_ref import docker_image_normalize, docker_image_ref  # noqa: E402

DOCUMENTATION = r"""
name: docker_image_ref
short_description: Parse and normalise container image references (docker_image_ref, docker_image_normalize)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds two filters.
  - >-
    C(docker_image_ref) parses an image reference the way Docker does (distribution/reference
    C(ParseNormalizedNamed)) and returns its parts.
  - >-
    C(docker_image_normalize) returns only the fully normalised name, for comparing references
    (C(ubuntu), C(docker.io/ubuntu:latest) and C(index.docker.io/library/ubuntu) are all
    C(docker.io/library/ubuntu:latest)).
  - >-
    The first C(/)-separated part is the registry when it contains C(.) or C(:), is C(localhost) or
    has an uppercase letter; otherwise the registry is C(docker.io), and a one-component Docker Hub
    repository gets C(library/) in front. C(index.docker.io) becomes C(docker.io).
  - >-
    Repository components are lowercase C(a-z0-9) joined by C(.), C(_), C(__) or dashes; a tag matches
    C([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}); a digest is C(sha256:) and 64 lowercase hex digits
    (C(sha384) 96, C(sha512) 128). C(registry/repository) may be at most 255 characters.
  - Invalid references fail with an error that names the reference and the broken part.
options:
  _input:
    description:
      - The image reference, for both filters, for example C(ubuntu:24.04), C(quay.io/jupyter/base-notebook),
        C(127.0.0.1:5000/labforge/jupyterlab@sha256:...).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Split a reference into its parts
  ansible.builtin.debug:
    msg: "{{ 'jupyter/base-notebook:2024-05-06' | docker_image_ref }}"
  # => {"registry": "docker.io", "repository": "jupyter/base-notebook", "tag": "2024-05-06",
  #     "digest": null, "name": "docker.io/jupyter/base-notebook:2024-05-06",
  #     "familiar": "jupyter/base-notebook:2024-05-06"}

- name: Image from the local registry
  ansible.builtin.debug:
    msg: "{{ ('127.0.0.1:5000/labforge/jupyterlab' | docker_image_ref).registry }}"
  # => "127.0.0.1:5000"

- name: Compare two spellings of one image
  ansible.builtin.assert:
    that:
      - "('ubuntu' | docker_image_normalize) == ('docker.io/library/ubuntu:latest' | docker_image_normalize)"
"""

RETURN = r"""
_value:
  description:
    - C(docker_image_ref) returns a dictionary with the keys below.
    - C(docker_image_normalize) returns the string in RV(_value.name).
  type: raw
  contains:
    registry:
      description: Registry host with optional port, such as C(docker.io), C(quay.io), C(127.0.0.1:5000).
      type: str
    repository:
      description: Repository path inside the registry; C(library/ubuntu) for Docker Hub official images.
      type: str
    tag:
      description: The tag as written, or null when the reference has none (even though C(latest) is implied).
      type: str
    digest:
      description: The digest (C(sha256:...)), or null.
      type: str
    name:
      description: >-
        Fully normalised reference C(registry/repository[:tag][@digest]); C(:latest) is added only when
        there is neither tag nor digest.
      type: str
    familiar:
      description: >-
        The short form the Docker CLI shows for RV(_value.name), such as C(ubuntu:latest) or
        C(jupyter/base-notebook:2024-05-06); it keeps C(:latest) when RV(_value.name) has it.
      type: str
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "docker_image_ref": docker_image_ref,
                "docker_image_normalize": docker_image_normalize,
            }
        )
