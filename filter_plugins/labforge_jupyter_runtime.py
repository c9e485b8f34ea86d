"""Ansible filter shim: what the jupyter role writes per instance (logic in labforge_filters.jupyter_runtime)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.jupyter_runtime import (  # noqa: E402
    jupyter_deployed,
    jupyter_image_digest_ref,
    jupyter_instance_tokens,
    jupyter_server_config,
)

DOCUMENTATION = r"""
name: jupyter_server_config
short_description: Server config, tokens and pinned image of Jupyter instances
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds four filters over instances checked by C(jupyter_instances_check).
  - >-
    C(jupyter_instance_tokens) maps each token or token-file instance to its token, reading token
    files from the results of a slurp loop; a file that does not hold one usable token fails naming
    the instance.
  - >-
    C(jupyter_server_config) returns the jupyter_server settings of one instance - C(ServerApp.base_url)
    and either C(IdentityProvider.token) or C(PasswordIdentityProvider.hashed_password) with the token
    switched off - for the file the container reads from JUPYTER_CONFIG_PATH.
  - >-
    C(jupyter_image_digest_ref) returns the reference a unit runs - the image pinned by its registry
    digest, or its image ID when it has no digest, or the name as given when the image is not present
    (check mode) - from docker_image_info's C(images).
  - >-
    C(jupyter_deployed) maps each instance to the image it asks for and the reference it runs, for the
    record the role keeps on the host.
options:
  _input:
    description:
      - C(jupyter_instance_tokens) takes the checked instances.
      - C(jupyter_server_config) takes one checked instance.
      - C(jupyter_image_digest_ref) takes the C(images) list of community.docker.docker_image_info.
      - C(jupyter_deployed) takes the checked instances.
    type: raw
    required: true
  token_file_results:
    description: Positional argument of C(jupyter_instance_tokens), the results of the slurp loop over token files.
    type: list
    elements: dict
  tokens:
    description: Positional argument of C(jupyter_server_config), the mapping C(jupyter_instance_tokens) returned.
    type: dict
  image:
    description: Positional argument of C(jupyter_image_digest_ref), the instance's parsed image (its C(image) field).
    type: dict
  images:
    description: Positional argument of C(jupyter_deployed), the C(images) list of docker_image_info.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Tokens of the instances
  ansible.builtin.set_fact:
    __tokens: "{{ __instances | jupyter_instance_tokens(__token_files.results) }}"
  no_log: true

- name: Server config of an instance
  ansible.builtin.copy:
    content: "{{ item | jupyter_server_config(__tokens) | to_nice_json }}"
    dest: /etc/labforge/jupyter/alice/jupyter_server_config.json
    mode: "0600"
  # {"ServerApp": {"base_url": "/"}, "IdentityProvider": {"token": "..."}}

- name: Image to run
  ansible.builtin.debug:
    msg: "{{ __image_info.images | jupyter_image_digest_ref(item.image) }}"
  # => 127.0.0.1:5000/labforge/jupyter-test@sha256:3f1c...

- name: What runs where
  ansible.builtin.debug:
    msg: "{{ __instances | jupyter_deployed(__image_info.images) }}"
  # => {alice: {image: "quay.io/jupyter/minimal-notebook:2025-10-20", runs: "quay.io/jupyter/minimal-notebook@sha256:..."}}
"""

RETURN = r"""
_value:
  description:
    - C(jupyter_instance_tokens) returns a mapping of instance name to token.
    - C(jupyter_server_config) returns the settings as a mapping, ready for to_nice_json.
    - C(jupyter_image_digest_ref) returns a string, an image reference or ID.
    - C(jupyter_deployed) returns a mapping of instance name to a mapping with C(image) and C(runs).
  type: raw
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "jupyter_instance_tokens": jupyter_instance_tokens,
                "jupyter_server_config": jupyter_server_config,
                "jupyter_image_digest_ref": jupyter_image_digest_ref,
                "jupyter_deployed": jupyter_deployed,
            }
        )
