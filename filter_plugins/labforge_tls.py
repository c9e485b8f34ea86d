"""Ansible filter shim: the names a TLS certificate covers (logic in labforge_filters.tls)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.tls import tls_names_uncovered  # noqa: E402

DOCUMENTATION = r"""
name: tls_names_uncovered
short_description: The host names or addresses that a certificate's subject alternative names do not cover
version_added: 0.1.0
author: labforge maintainers
description:
  - >-
    C(tls_names_uncovered) takes the certificate's subject alternative names as community.crypto's
    C(x509_certificate_info) filter returns them (C(DNS:lab.example.org), C(IP:192.0.2.7)) and
    returns the entries of O(names) that none of them covers, in their order; an empty list
    when the certificate covers them all.
  - >-
    A wildcard covers exactly one leftmost label, as browsers match it (RFC 6125):
    C(DNS:*.example.org) covers C(lab.example.org), not C(example.org) nor C(a.lab.example.org).
    Names compare without case. An IP address is covered only by an C(IP:) entry.
options:
  _input:
    description: The certificate's subject alternative names, a list of strings.
    type: list
    elements: str
    required: true
  names:
    description: Positional argument. The host names or IP addresses clients use, a list of strings.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a certificate that does not cover the lab's host name
  ansible.builtin.assert:
    that: (info.subject_alt_name | default([]) | tls_names_uncovered([hub_https_hostname])) == []
    fail_msg: hub_https_certificate does not cover {{ hub_https_hostname }}
  vars:
    info: "{{ hub_https_certificate | community.crypto.x509_certificate_info }}"
"""

RETURN = r"""
_value:
  description: C(tls_names_uncovered) returns the entries of O(names) that no subject alternative name covers.
  type: list
  elements: str
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"tls_names_uncovered": tls_names_uncovered})
