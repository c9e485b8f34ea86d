"""IPv4 subnets for libvirt NAT networks that clash with nothing on the host.

A libvirt network whose subnet overlaps a route of the host (the uplink, a Docker
bridge, a VPN) or another libvirt network either fails to start or, worse,
starts and silently breaks routing. So every planned subnet is checked against
the host's routes (``ip -j route``), the subnets of the libvirt networks already
defined (read from their XML) and a list of reserved subnets; ``auto`` picks
the first free subnet of a candidate range, and keeps the one a network already
has so that re-runs never renumber it.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

try:
    from .errors import LabforgeFilterError, got, show
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

AUTO = "auto"
BRIDGE_PREFIX = "virbr-"
IFNAMSIZ = 15  # the longest Linux interface name
MIN_PREFIX, MAX_PREFIX = 8, 30
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
_BRIDGE = re.compile(r"[A-Za-z0-9_.-]{1,15}")
DEFAULT_CANDIDATES = ("192.168.100.0/22", "192.168.104.0/21")  # 192.168.100.0/24 to 192.168.111.0/24
SUBNET_ACCEPTED = f"'auto' or an IPv4 network in CIDR notation with a prefix from /{MIN_PREFIX} to /{MAX_PREFIX}"

Net = ipaddress.IPv4Network


def _cidr(value: object, what: str, strict: bool = True) -> Net:
    if not isinstance(value, str):
        raise LabforgeFilterError(f"{what} must be an IPv4 network in CIDR notation, got {got(value)}")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise LabforgeFilterError(f"{what} {show(value)} is not an IPv4 network in CIDR notation") from None
    if not isinstance(net, Net):
        raise LabforgeFilterError(f"{what} {show(value)} is IPv6; only IPv4 subnets are planned")
    if strict and "/" in value and ipaddress.ip_interface(value).ip != net.network_address:
        raise LabforgeFilterError(f"{what} {show(value)} has host bits set; did you mean '{net}'?")
    return net


def libvirt_net_cidrs(xml_text: object) -> list[str]:
    """The IPv4 subnets of a libvirt network definition (``virsh net-dumpxml``), as CIDR strings."""
    if not isinstance(xml_text, str):
        raise LabforgeFilterError(f"expected the XML text of a libvirt network, got {got(xml_text)}")
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as exc:
        raise LabforgeFilterError(f"the libvirt network XML does not parse: {exc}") from None
    if root.tag != "network":
        raise LabforgeFilterError(f"expected a <network> document, got <{root.tag}>")
    cidrs: list[str] = []
    for ip in root.findall("ip"):
        if ip.get("family", "ipv4") != "ipv4" or not ip.get("address"):
            continue
        address = ip.get("address")
        if ip.get("prefix"):
            spec = f"{address}/{ip.get('prefix')}"
        elif ip.get("netmask"):
            spec = f"{address}/{ip.get('netmask')}"
        else:
            spec = f"{address}/24"  # libvirt's default for an IPv4 address without prefix or netmask
        try:
            net = ipaddress.ip_network(spec, strict=False)
        except ValueError:
            raise LabforgeFilterError(f"the libvirt network XML has a bad <ip>: {show(spec)}") from None
        cidrs.append(str(net))
    return cidrs


def _bridge(item: Mapping[str, Any], name: str, where: str) -> str:
    bridge = item.get("bridge")
    if bridge is None:
        return (BRIDGE_PREFIX + name)[:IFNAMSIZ]
    if not isinstance(bridge, str) or not _BRIDGE.fullmatch(bridge):
        raise LabforgeFilterError(
            f"{where}.bridge is {got(bridge)}; accepted: 1 to {IFNAMSIZ} characters of letters, digits, '_', '.', '-'"
        )
    return bridge


def _used_by_routes(routes: object) -> list[tuple[Net, str, str]]:
    """(subnet, description, device) of every route but the default ones."""
    if routes is None:
        return []
    if not isinstance(routes, Sequence) or isinstance(routes, str):
        raise LabforgeFilterError(f"routes must be the list printed by 'ip -j route', got {got(routes)}")
    used = []
    for index, route in enumerate(routes):
        if isinstance(route, str):
            dst, dev = route, ""
        elif isinstance(route, Mapping):
            dst, dev = route.get("dst"), str(route.get("dev") or "")
        else:
            raise LabforgeFilterError(f"routes[{index}] must be a mapping with dst and dev, got {got(route)}")
        if dst in (None, "default") or (isinstance(dst, str) and ":" in dst):
            continue
        net = _cidr(dst, f"routes[{index}].dst", strict=False)
        used.append((net, f"the host route {net}" + (f" (dev {dev})" if dev else ""), dev))
    return used


def _used_by_networks(existing: object) -> list[tuple[Net, str, str]]:
    """(subnet, description, network name) of every subnet of the libvirt networks already defined."""
    if existing is None:
        return []
    if not isinstance(existing, Mapping):
        raise LabforgeFilterError(
            f"existing must map libvirt network names to lists of CIDRs (see libvirt_net_cidrs), got {got(existing)}"
        )
    used = []
    for name, cidrs in existing.items():
        if isinstance(cidrs, str):
            cidrs = [cidrs]
        if not isinstance(cidrs, Sequence):
            raise LabforgeFilterError(f"existing[{name!r}] must be a list of CIDRs, got {got(cidrs)}")
        for cidr in cidrs:
            net = _cidr(cidr, f"existing[{name!r}]", strict=False)
            used.append((net, f"libvirt network '{name}' ({net})", str(name)))
    return used


def _nets(values: object, what: str, strict: bool = False) -> list[Net]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise LabforgeFilterError(f"{what} must be a list of IPv4 CIDRs, got {got(values)}")
    return [_cidr(value, f"{what}[{index}]", strict=strict) for index, value in enumerate(values)]


def _describe(net: Net) -> dict[str, Any]:
    hosts = net.num_addresses - 2
    gateway = net.network_address + 1
    return {
        "cidr": str(net),
        "prefix": net.prefixlen,
        "netmask": str(net.netmask),
        "gateway": str(gateway),
        "dhcp_start": str(gateway + 1),
        "dhcp_end": str(net.network_address + hosts),
    }


def libvirt_subnet_plan(
    networks: object,
    routes: object = None,
    existing: object = None,
    candidates: object = DEFAULT_CANDIDATES,
    reserved: object = None,
    prefix: object = 24,
    variable: str = "hypervisor_networks",
    names: object = None,
) -> dict[str, dict[str, Any]]:
    """Name -> the network's item plus bridge, cidr, prefix, netmask, gateway, dhcp_start, dhcp_end and origin.
    ``names`` maps ``candidates``, ``reserved`` and ``prefix`` to the variables they come from, for
    the error messages."""
    named = {"candidates": "candidates", "reserved": "reserved", "prefix": "prefix",
             **(names if isinstance(names, Mapping) else {})}
    if not isinstance(networks, Sequence) or isinstance(networks, str):
        raise LabforgeFilterError(f"{variable} must be a list of networks, got {got(networks)}")
    if isinstance(prefix, bool) or not isinstance(prefix, int) or not MIN_PREFIX <= prefix <= MAX_PREFIX:
        raise LabforgeFilterError(
            f"{named['prefix']} must be an integer from {MIN_PREFIX} to {MAX_PREFIX}, got {got(prefix)}")
    route_use = _used_by_routes(routes)
    network_use = _used_by_networks(existing)
    reserved_use = [(net, f"the reserved subnet {net}", "") for net in _nets(reserved, named["reserved"])]
    pool = _nets(candidates, named["candidates"], strict=True)

    # Normalise and check names first, so that every later message can name the network.
    items: list[tuple[str, str, str, Any, Mapping[str, Any]]] = []  # (where, name, bridge, subnet, item)
    names: dict[str, str] = {}
    bridges: dict[str, str] = {}
    for index, item in enumerate(networks):
        where = f"{variable}[{index}]"
        if not isinstance(item, Mapping):
            raise LabforgeFilterError(f"{where} must be a mapping with name and subnet, got {got(item)}")
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise LabforgeFilterError(
                f"{where}.name is {got(name)}; accepted: letters, digits, '_', '.', '+', '-', "
                "starting with a letter or digit"
            )
        where = f"{where} ({name!r})"
        if name in names:
            raise LabforgeFilterError(f"{where}: the name is also used by {names[name]}")
        names[name] = where
        bridge = _bridge(item, name, where)
        if bridge in bridges:
            raise LabforgeFilterError(f"{where}: bridge {bridge!r} is also used by {bridges[bridge]}; set bridge")
        bridges[bridge] = where
        subnet = item.get("subnet", AUTO)
        if subnet is None:
            subnet = AUTO
        items.append((where, name, bridge, subnet, item))

    def clashes(net: Net, name: str, bridge: str, planned: Mapping[str, tuple[Net, str]]) -> list[str]:
        found = [text for used, text, dev in route_use if dev != bridge and used.overlaps(net)]
        found += [text for used, text, owner in network_use if owner != name and used.overlaps(net)]
        found += [text for used, text, _ in reserved_use if used.overlaps(net)]
        found += [f"{where} ({other})" for other_name, (other, where) in planned.items() if other.overlaps(net)]
        return found

    planned: dict[str, tuple[Net, str]] = {}
    origin: dict[str, str] = {}
    # Explicit subnets first: they are not negotiable, automatic ones fit around them.
    for where, name, bridge, subnet, _ in items:
        if subnet == AUTO:
            continue
        net = _cidr(subnet, f"{where}.subnet")
        if not MIN_PREFIX <= net.prefixlen <= MAX_PREFIX:
            raise LabforgeFilterError(f"{where}.subnet is {show(subnet)}; accepted: {SUBNET_ACCEPTED}")
        found = clashes(net, name, bridge, planned)
        if found:
            raise LabforgeFilterError(
                f"{where}.subnet {str(net)!r} overlaps {', '.join(found)}; choose a free subnet or 'auto'"
            )
        planned[name] = (net, where)
        origin[name] = "given"
    for where, name, bridge, subnet, _ in items:
        if subnet != AUTO:
            continue
        kept = [used for used, _, owner in network_use if owner == name]
        choice = next((net for net in kept if not clashes(net, name, bridge, planned)), None)
        origin[name] = "kept"
        if choice is None:
            origin[name] = "picked"
            for block in pool:
                if block.prefixlen > prefix:
                    continue
                choice = next(
                    (net for net in block.subnets(new_prefix=prefix) if not clashes(net, name, bridge, planned)), None
                )
                if choice is not None:
                    break
        if choice is None:
            searched = ", ".join(str(net) for net in pool) or "no candidates"
            raise LabforgeFilterError(
                f"{where}.subnet is 'auto' but no free /{prefix} is left in {searched}; "
                "give a subnet or widen the candidates"
            )
        planned[name] = (choice, where)

    plan: dict[str, dict[str, Any]] = {}
    for _, name, bridge, _, item in items:
        plan[name] = {**item, "name": name, "bridge": bridge, **_describe(planned[name][0]), "origin": origin[name]}
    return plan


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
