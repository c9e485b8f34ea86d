"""Ansible filter shim: Jupyter Server password hashes (logic in labforge_filters.password)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.password import (  # noqa: E402
    jupyter_password_check,
    jupyter_password_hash,
    jupyter_password_is_hashed,
)

DOCUMENTATION = r"""
name: jupyter_password_hash
short_description: >-
  Hash and check Jupyter Server passwords
  (jupyter_password_hash, jupyter_password_check, jupyter_password_is_hashed)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds three filters.
  - >-
    C(jupyter_password_hash) hashes a password exactly as C(jupyter_server.auth.security.passwd())
    does: C(argon2:$argon2id$v=19$m=10240,t=10,p=8$<salt>$<hash>). The result goes into
    C(c.PasswordIdentityProvider.hashed_password) (or the older C(c.ServerApp.password)).
  - >-
    Without O(salt) every call gives a new random salt, so a task that writes the hash changes on
    every run. Pass a fixed O(salt) (for example one stored in the vault) for an idempotent role.
  - >-
    C(jupyter_password_check) tells whether a password matches a hash: argon2 hashes, and legacy
    C(algorithm:salt:hexdigest) hashes such as C(sha1:...). A string that is no recognised hash does
    not match.
  - >-
    C(jupyter_password_is_hashed) is true when the input already is such a hash (C(argon2:$argon2...)
    or a legacy C(sha1:salt:hexdigest)), so a role can accept pre-hashed passwords as they are.
  - Error messages never contain the password.
  - Needs the Python package argon2-cffi (23.1 or later) on the controller for hashing and argon2 checks.
options:
  _input:
    description:
      - C(jupyter_password_hash) takes the clear-text password, a non-empty string.
      - C(jupyter_password_check) takes the hashed password.
      - C(jupyter_password_is_hashed) takes any value; only strings can be true.
    type: raw
    required: true
  salt:
    description:
      - Positional argument of C(jupyter_password_hash).
      - A string of at least 8 bytes (UTF-8); its bytes are the Argon2 salt. The salt is not secret
        (it is readable in the hash) but should be unique per host or instance.
      - Null (the default) for 16 random bytes, as jupyter_server does.
    type: str
  password:
    description:
      - Positional argument of C(jupyter_password_check), the clear-text password to check.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Hash the notebook password with a fixed salt so the role stays idempotent
  ansible.builtin.set_fact:
    __jupyter_hashed_password: >-
      {{ jupyter_password if (jupyter_password | jupyter_password_is_hashed)
         else jupyter_password | jupyter_password_hash(jupyter_password_salt) }}
  no_log: true

- name: Hash with a random salt (changes every run)
  ansible.builtin.debug:
    msg: "{{ 'correct horse' | jupyter_password_hash }}"
  no_log: true

- name: Keep an existing hash when it still matches the password
  ansible.builtin.set_fact:
    __jupyter_keep_hash: "{{ __jupyter_current_hash | jupyter_password_check(jupyter_password) }}"
  no_log: true

- name: Accept a pre-hashed password as is
  ansible.builtin.debug:
    msg: "{{ 'sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a' | jupyter_password_is_hashed }}"
  # => true
"""

RETURN = r"""
_value:
  description:
    - C(jupyter_password_hash) returns the hash, a string starting with C(argon2:$argon2id$v=19$m=10240,t=10,p=8$).
    - C(jupyter_password_check) returns true when the password matches the hash.
    - C(jupyter_password_is_hashed) returns true when the input is an argon2 or legacy hash string.
  type: raw
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map(
            {
                "jupyter_password_hash": jupyter_password_hash,
                "jupyter_password_check": jupyter_password_check,
                "jupyter_password_is_hashed": jupyter_password_is_hashed,
            }
        )
