"""Ansible filter shim: clash-free subnets for libvirt networks (logic in labforge_filters.network)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
if _PLUGIN_DIR not in sys.path:
    sys.path.append(_PLUGIN_DIR)

from labforge_filters.errors import ansible_filter_map  # noqa: E402
from labforge_filters.network import libvirt_net_cidrs, libvirt_subnet_plan  # noqa: E402

DOCUMENTATION = r"""
name: libvirt_subnet_plan
short_description: >-
  Plan IPv4 subnets for libvirt networks that clash with nothing (libvirt_subnet_plan, libvirt_net_cidrs)
version_added: 0.1.0
author: labforge maintainers
description:
  - This file holds two filters.
  - >-
    C(libvirt_subnet_plan) gives every network of a list its IPv4 subnet, gateway, netmask, DHCP range and bridge,
    after checking that the subnet overlaps none of the host's routes (the uplink, Docker bridges, VPNs), none of
    the libvirt networks already defined under another name, none of the reserved subnets and none of the other
    networks of the list.
  - >-
    A network's C(subnet) is a CIDR (kept as given, or an error naming the network, the subnet and what it overlaps)
    or C(auto) (the default). An automatic network keeps the subnet its existing definition has, if that is still
    free, so re-runs never renumber it; otherwise it gets the first free subnet of O(prefix) size from
    O(candidates), in order. Explicit subnets are placed before automatic ones.
  - >-
    A route on the network's own bridge and the existing definition of the same name do not count as clashes: they
    are the network itself. Default routes and IPv6 routes are ignored.
  - >-
    C(bridge) defaults to C(virbr-) followed by the name, cut to 15 characters; two networks with the same bridge are
    an error. Names are letters, digits, C(_), C(.), C(+) and C(-).
  - >-
    C(libvirt_net_cidrs) reads the XML of a libvirt network (C(virsh net-dumpxml NAME)) and returns the IPv4
    subnets of its C(<ip>) elements, for the O(existing) argument.
options:
  _input:
    description:
      - C(libvirt_subnet_plan) takes the list of networks, mappings with C(name) (required, unique), C(subnet)
        (C(auto), null or absent for automatic; else an IPv4 CIDR from /8 to /30 without host bits) and C(bridge)
        (optional). Other keys are passed through to the result.
      - C(libvirt_net_cidrs) takes the XML text of one libvirt network.
    type: raw
    required: true
  routes:
    description:
      - Positional argument of C(libvirt_subnet_plan), the host's routes as printed by C(ip -j route) (mappings with
        C(dst) and C(dev)), or plain CIDR strings.
    type: list
    elements: raw
  existing:
    description:
      - Positional argument of C(libvirt_subnet_plan), the libvirt networks already defined, name to list of CIDRs
        (each list as returned by C(libvirt_net_cidrs)).
    type: dict
  candidates:
    description:
      - Positional argument of C(libvirt_subnet_plan), the CIDR blocks automatic subnets are carved from, in order.
      - Each must be a network address (no host bits set).
    type: list
    elements: str
    default: ["192.168.100.0/22", "192.168.104.0/21"]
  reserved:
    description:
      - Positional argument of C(libvirt_subnet_plan), more subnets no network may overlap.
    type: list
    elements: str
  prefix:
    description:
      - Positional argument of C(libvirt_subnet_plan), the prefix length of automatic subnets.
    type: int
    default: 24
  variable:
    description:
      - Positional argument of C(libvirt_subnet_plan), the variable name used in error messages.
    type: str
    default: hypervisor_networks
  names:
    description:
      - Optional argument of C(libvirt_subnet_plan), the variables that I(candidates), I(reserved) and
        I(prefix) come from (keys C(candidates), C(reserved), C(prefix)), named in error messages.
    type: dict
"""

EXAMPLES = r"""
- name: Read the host's routes
  ansible.builtin.command: ip -j route
  register: __routes
  changed_when: false

- name: Plan the networks
  ansible.builtin.set_fact:
    __plan: >-
      {{ hypervisor_networks
         | libvirt_subnet_plan(__routes.stdout | from_json, {'default': ['192.168.122.0/24']}) }}
  # hypervisor_networks: [{name: lab}, {name: dmz, subnet: 10.10.0.0/24}]
  # routes: [{dst: default, dev: eth0}, {dst: 172.17.0.0/16, dev: eth0}]
  # => {"dmz": {"name": "dmz", "subnet": "10.10.0.0/24", "bridge": "virbr-dmz", "cidr": "10.10.0.0/24",
  #             "prefix": 24, "netmask": "255.255.255.0", "gateway": "10.10.0.1", "dhcp_start": "10.10.0.2",
  #             "dhcp_end": "10.10.0.254", "origin": "given"},
  #     "lab": {"name": "lab", "bridge": "virbr-lab", "cidr": "192.168.100.0/24", ..., "origin": "picked"}}
  # Other keys of an item (forward, dhcp, ...) are passed through.

- name: The subnets of an existing network
  ansible.builtin.debug:
    msg: "{{ __default_xml.stdout | libvirt_net_cidrs }}"
  # => ["192.168.122.0/24"]

- name: Fails naming the network, its subnet and the clash
  ansible.builtin.debug:
    msg: "{{ [{'name': 'lab', 'subnet': '172.17.0.0/24'}] | libvirt_subnet_plan(['172.17.0.0/16']) }}"
  # => libvirt_subnet_plan: hypervisor_networks[0] ('lab').subnet '172.17.0.0/24' overlaps the host route
  #    172.17.0.0/16; choose a free subnet or 'auto'
"""

RETURN = r"""
_value:
  description:
    - >-
      C(libvirt_subnet_plan) returns a dictionary of network name to its plan, in input order: the network's own
      keys (C(subnet) as given, other keys passed through) plus those below.
    - C(libvirt_net_cidrs) returns a list of CIDR strings.
  type: raw
  contains:
    name:
      description: The network's name.
      type: str
    bridge:
      description: The bridge device.
      type: str
    cidr:
      description: The subnet, such as C(192.168.100.0/24).
      type: str
    prefix:
      description: Its prefix length.
      type: int
    netmask:
      description: Its netmask, such as C(255.255.255.0).
      type: str
    gateway:
      description: The host's address on the network, the first address of the subnet.
      type: str
    dhcp_start:
      description: First address the DHCP server hands out, the one after the gateway.
      type: str
    dhcp_end:
      description: Last address the DHCP server hands out, the one before the broadcast address.
      type: str
    origin:
      description: C(given) (explicit subnet), C(kept) (automatic, from the existing definition) or C(picked).
      type: str
"""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return ansible_filter_map({"libvirt_subnet_plan": libvirt_subnet_plan, "libvirt_net_cidrs": libvirt_net_cidrs})
