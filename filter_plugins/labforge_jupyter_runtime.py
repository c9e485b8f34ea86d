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
    jupyter_host_queries,
    jupyter_image_digest_ref,
    jupyter_images_missing,
    jupyter_instance_files,
    jupyter_instance_tokens,
    jupyter_instances_storage,
    jupyter_ready_checks,
    jupyter_unit_states,
    jupyter_volumes_missing,
)

DOCUMENTATION = r"""
name: jupyter_instance_tokens
short_description: Tokens, pinned images, storage, files and units of Jupyter instances
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds ten filters over Jupyter instances, most of them checked by C(jupyter_instances_check).
  - >-
    C(jupyter_instance_tokens) maps each token or token-file instance to its token, reading token
    files from the results of a slurp loop; a file that does not hold one usable token fails naming
    the instance.
  - >-
    C(jupyter_image_digest_ref) returns the reference a unit runs - the image pinned by its registry
    digest, or its image ID when it has no digest, or the name as given when the image is not present
    (check mode) - from a list of inspected images (C(docker image inspect), docker_image_info's C(images)).
  - >-
    C(jupyter_images_missing) returns the image names of the instances that no inspected image is:
    what a pull with the policy C(missing) has to fetch.
  - >-
    C(jupyter_ready_checks) returns what the role's C(jupyter_ready) module asks each instance - its
    C(/api/status) with its C(token), or C(/api) for an instance with a password.
  - >-
    C(jupyter_instances_storage) adds to each checked instance its C(mounts) (C(type), C(source), C(target))
    and C(layout) from the record of the last run - C(home) (its volume is the whole home, /home/jovyan)
    or C(work) (deployed by an earlier release - its volume stays at /home/jovyan/work and the named
    volume C(jupyter-NAME-home) holds the rest of the home).
  - >-
    C(jupyter_volumes_missing) returns the named volumes of the instances' mounts that no inspected volume is,
    each once with the label C(org.labforge.instance), for the role's C(jupyter_docker) module.
  - >-
    C(jupyter_host_queries) returns what the role's C(jupyter_host_info) module reads for
    C(jupyter_instances) as given, before they are checked - C(images) and C(volumes) of the instances
    that are not absent (the role's default image and the C(jupyter-NAME) volume where an instance names
    none), every instance's C(units), the C(password_instances) and the C(token_files); malformed
    entries are skipped, for C(jupyter_instances_check) to report.
  - >-
    C(jupyter_instance_files) returns where and how the role writes its running instances' files, for the
    C(labforge_files) module - C(directories) (each instance's settings directory, root's only, and the top of
    each of its mounts owned by the notebook user with setgid), C(files) (instance.env with the unit's
    settings, container.env with the extra environment) and C(secret_files) (the server config, owned by
    root, mode 0640, group the notebook group) - the settings with the instance's name as C(key). Their
    contents are rendered by the role's templates (instance_settings.j2).
  - >-
    C(jupyter_unit_states) returns what the C(labforge_units) module brings each instance's unit to, in one
    call - a running instance whose settings changed is restarted, another running instance is started and
    enabled unless its unit is already active and enabled, a stopped or absent instance is stopped and disabled; in
    check mode an instance whose settings would change is left out, as its unit is not written yet.
  - >-
    C(jupyter_deployed) maps each instance to the image it asks for and the reference it runs, for the
    record the role keeps on the host.
options:
  _input:
    description:
      - C(jupyter_instance_tokens) takes the checked instances.
      - C(jupyter_image_digest_ref) takes the C(images) list of community.docker.docker_image_info.
      - C(jupyter_deployed), C(jupyter_instance_files), C(jupyter_ready_checks), C(jupyter_unit_states) take the
        checked instances.
      - C(jupyter_images_missing) takes the list of inspected images; C(jupyter_volumes_missing) the inspected volumes.
      - C(jupyter_host_queries) takes C(jupyter_instances) as given.
      - C(jupyter_instances_storage) takes the checked instances.
    type: raw
    required: true
  token_file_results:
    description: Positional argument of C(jupyter_instance_tokens), the results of the slurp loop over token files.
    type: list
    elements: dict
  tokens:
    description: >-
      Positional argument of C(jupyter_ready_checks), the mapping C(jupyter_instance_tokens) returned.
    type: dict
  image:
    description: Positional argument of C(jupyter_image_digest_ref), the instance's parsed image (its C(image) field).
    type: dict
  images:
    description: >-
      Positional argument of C(jupyter_deployed), the inspected images.
    type: list
    elements: dict
  instances:
    description: Positional argument of C(jupyter_images_missing) and C(jupyter_volumes_missing), the checked instances.
    type: list
    elements: dict
  previous:
    description: Positional argument of C(jupyter_instances_storage), the record of the last run (C(ports), C(layouts)).
    type: dict
  changed:
    description: Positional argument of C(jupyter_unit_states), the names of the instances whose settings changed.
    type: list
    elements: str
  as_wanted:
    description: Positional argument of C(jupyter_unit_states), the units that were active and enabled.
    type: list
    elements: str
  check_mode:
    description: Optional argument of C(jupyter_unit_states), whether the run is in check mode.
    type: bool
    default: false
  default_image:
    description: Positional argument of C(jupyter_host_queries), the image of an instance that names none.
    type: str
  volumes:
    description: Positional argument of C(jupyter_instance_files), the inspected named volumes (C(docker volume inspect)).
    type: list
    elements: dict
  config_dir:
    description: Positional argument of C(jupyter_instance_files), the role's configuration directory.
    type: str
  uid:
    description: Positional argument of C(jupyter_instance_files), the owner of the notebook storage.
    type: int
  gid:
    description: Positional argument of C(jupyter_instance_files), the group of the notebook storage and of the server configs.
    type: int
  settings:
    description: >-
      Positional argument of C(jupyter_instance_files), each instance's rendered files (name to instance.env,
      container.env and jupyter_server_config.json).
    type: dict
"""

EXAMPLES = r"""
- name: Tokens of the instances
  ansible.builtin.set_fact:
    __tokens: "{{ __instances | jupyter_instance_tokens(__token_files.results) }}"
  no_log: true

- name: Image to run
  ansible.builtin.debug:
    msg: "{{ __image_info.images | jupyter_image_digest_ref(item.image) }}"
  # => 127.0.0.1:5000/labforge/jupyter-test@sha256:3f1c...

- name: What runs where
  ansible.builtin.debug:
    msg: "{{ __instances | jupyter_deployed(__image_info.images) }}"
  # => {alice: {image: "quay.io/jupyter/minimal-notebook:2025-10-20", runs: "quay.io/jupyter/minimal-notebook@sha256:..."}}

- name: Where each instance's storage is mounted
  ansible.builtin.set_fact:
    __instances: "{{ __checked | jupyter_instances_storage(__record) }}"
  # alice (new) => mounts: [{type: volume, source: jupyter-alice, target: /home/jovyan}], layout: home

- name: Pull and create what is not on the host
  jupyter_docker:
    images: "{{ __host.images | jupyter_images_missing(__instances) }}"
    volumes: "{{ __host.volumes | jupyter_volumes_missing(__instances) }}"

- name: What to read from the host before the instances are checked
  ansible.builtin.debug:
    msg: "{{ jupyter_instances | jupyter_host_queries(jupyter_image) }}"
  # => {images: ["quay.io/jupyter/minimal-notebook:2025-10-20"], volumes: [jupyter-alice],
  #     units: ["labforge-jupyter@alice.service"], password_instances: [], token_files: []}

- name: Every file of the instances in one module call
  labforge_files:
    directories: "{{ __layout.directories }}"
    files: "{{ __layout.files }}"
    secret_files: "{{ __layout.secret_files }}"
  vars:
    __layout: "{{ __instances | jupyter_instance_files(__settings, __volumes, '/etc/labforge/jupyter', 1000, 100) }}"
    __settings: "{{ lookup('ansible.builtin.template', 'instance_settings.j2') | from_json }}"

- name: Wait until the instances answer
  jupyter_ready:
    instances: "{{ __instances | jupyter_ready_checks(__tokens) }}"
  # [{name: alice, url: "http://127.0.0.1:8888/api/status", token: ...}, {name: bob, url: "http://127.0.0.1:8900/bob/api"}]

- name: Start, restart or stop every instance's unit in one module call
  labforge_units:
    units: "{{ __instances | jupyter_unit_states(__changed, __units_as_wanted, ansible_check_mode) }}"
  # [{name: labforge-jupyter@alice.service, state: restarted, enabled: true},
  #  {name: labforge-jupyter@bob.service, state: stopped, enabled: false}]
"""

RETURN = r"""
_value:
  description:
    - C(jupyter_instance_tokens) returns a mapping of instance name to token.
    - C(jupyter_image_digest_ref) returns a string, an image reference or ID.
    - C(jupyter_deployed) returns a mapping of instance name to a mapping with C(image) and C(runs).
    - C(jupyter_images_missing) returns a list of image references.
    - C(jupyter_instances_storage) returns the instances, each with C(mounts) and C(layout) added.
    - C(jupyter_volumes_missing) returns a list of mappings with C(name) and C(labels).
    - C(jupyter_ready_checks) returns a list of mappings with C(name), C(url) and, for a token instance, C(token).
    - C(jupyter_unit_states) returns a list of mappings with C(name) (the unit), C(state) and C(enabled).
    - C(jupyter_host_queries) returns a mapping of lists of images, volumes, units, instance names and paths.
    - C(jupyter_instance_files) returns a mapping with the lists C(directories), C(files) and C(secret_files).
  type: raw
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "jupyter_instance_tokens": jupyter_instance_tokens,
                "jupyter_image_digest_ref": jupyter_image_digest_ref,
                "jupyter_deployed": jupyter_deployed,
                "jupyter_images_missing": jupyter_images_missing,
                "jupyter_host_queries": jupyter_host_queries,
                "jupyter_instances_storage": jupyter_instances_storage,
                "jupyter_volumes_missing": jupyter_volumes_missing,
                "jupyter_ready_checks": jupyter_ready_checks,
                "jupyter_unit_states": jupyter_unit_states,
                "jupyter_instance_files": jupyter_instance_files,
            }
        )
