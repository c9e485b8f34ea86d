"""Stable port assignment for Jupyter instances on one host."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

try:
    from .errors import LabforgeFilterError, got, show
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

PORT_MIN = 1
PORT_MAX = 65535
AUTO = "auto"
ABSENT = "absent"


@dataclass(frozen=True)
class _Instance:
    name: str
    port: int | None  # None: automatic
    absent: bool


def _valid_port(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and PORT_MIN <= value <= PORT_MAX


def _instance(index: int, item: object) -> _Instance:
    if not isinstance(item, Mapping):
        raise LabforgeFilterError(f"instances[{index}] must be a mapping with a name, got {got(item)}")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise LabforgeFilterError(f"instances[{index}] needs a non-empty string name, got {show(name)}")
    state = item.get("state")
    if state is not None and not isinstance(state, str):
        raise LabforgeFilterError(
            f"instance {name!r}: state must be a string such as 'present' or 'absent', got {show(state)}"
        )
    absent = state == ABSENT
    port = item.get("port")
    if port is None or port == AUTO or absent:
        return _Instance(str(name), None, absent)
    if not _valid_port(port):
        raise LabforgeFilterError(
            f"instance {name!r}: port {show(port)} is not accepted; use an integer from "
            f"{PORT_MIN} to {PORT_MAX}, null or {AUTO!r}"
        )
    return _Instance(str(name), int(port), absent)


def _instances(instances: object) -> list[_Instance]:
    if not isinstance(instances, (list, tuple)):
        raise LabforgeFilterError(f"instances must be a list of mappings, got {got(instances)}")
    parsed = [_instance(index, item) for index, item in enumerate(instances)]
    seen: set[str] = set()
    for instance in parsed:
        if instance.name in seen:
            raise LabforgeFilterError(f"instance name {instance.name!r} appears more than once; names must be unique")
        seen.add(instance.name)
    return parsed


def _previous(previous: object, wanted: set[str]) -> dict[str, int]:
    """The recorded ports of instances still wanted; entries for other names are ignored."""
    if previous is None:
        return {}
    if not isinstance(previous, Mapping):
        raise LabforgeFilterError(f"previous must be a mapping of instance name to port, got {got(previous)}")
    result: dict[str, int] = {}
    for name, port in previous.items():
        if name not in wanted:
            continue
        if not _valid_port(port):
            raise LabforgeFilterError(
                f"previous[{name!r}] = {show(port)} is not a port; expected an integer from {PORT_MIN} to {PORT_MAX}"
            )
        result[str(name)] = int(port)
    return result


def _port_range(range_start: object, range_end: object) -> range:
    if not _valid_port(range_start):
        raise LabforgeFilterError(f"range_start {show(range_start)} must be an integer from {PORT_MIN} to {PORT_MAX}")
    if not _valid_port(range_end):
        raise LabforgeFilterError(f"range_end {show(range_end)} must be an integer from {PORT_MIN} to {PORT_MAX}")
    if range_start > range_end:
        raise LabforgeFilterError(f"range_start {range_start} is greater than range_end {range_end}")
    return range(range_start, range_end + 1)


def _claim_explicit(instances: list[_Instance]) -> dict[int, str]:
    owners: dict[int, str] = {}
    for instance in instances:
        if instance.port is None:
            continue
        if instance.port in owners:
            raise LabforgeFilterError(
                f"instances {owners[instance.port]!r} and {instance.name!r} both ask for port {instance.port}"
            )
        owners[instance.port] = instance.name
    return owners


def jupyter_port_plan(
    instances: object,
    previous: object = None,
    range_start: object = 8888,
    range_end: object = 8999,
) -> dict[str, int]:
    """Map each present instance name to a port.

    Explicit ports are kept. An automatic instance keeps its port from ``previous``
    unless an explicit port (or an automatic instance earlier in name order) now
    holds it; the others get the lowest free port in [range_start, range_end], taken
    in name order. Absent instances get no port.
    """
    ports = _port_range(range_start, range_end)
    present = [i for i in _instances(instances) if not i.absent]
    owners = _claim_explicit(present)
    recorded = _previous(previous, {i.name for i in present})
    automatic = sorted((i for i in present if i.port is None), key=lambda i: i.name)
    plan: dict[str, int] = {i.name: i.port for i in present if i.port is not None}
    waiting: list[_Instance] = []
    for instance in automatic:
        port = recorded.get(instance.name)
        if port is None or port in owners:
            waiting.append(instance)
            continue
        owners[port] = instance.name
        plan[instance.name] = port
    free = (p for p in ports if p not in owners)
    for instance in waiting:
        port = next(free, None)
        if port is None:
            raise LabforgeFilterError(
                f"no free port left in {ports.start}-{ports.stop - 1} for instance {instance.name!r} "
                f"({len(waiting)} automatic instances need one); widen the range or set explicit ports"
            )
        owners[port] = instance.name
        plan[instance.name] = port
    return {i.name: plan[i.name] for i in present}


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
