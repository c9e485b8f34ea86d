"""Find NVIDIA GPUs from the PCI bus as sysfs shows it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from .errors import LabforgeFilterError, got
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

NVIDIA_VENDOR = "0x10de"
# PCI base class 0x03 is "display controller": VGA (0x0300), 3D (0x0302), other (0x0380).
DISPLAY_CLASS_PREFIX = "0x03"


def nvidia_gpus(sysfs_lines: object) -> list[str]:
    """PCI addresses of NVIDIA display controllers.

    ``sysfs_lines`` is what ``grep -H . /sys/bus/pci/devices/*/vendor /sys/bus/pci/devices/*/class``
    prints: lines of ``/sys/bus/pci/devices/ADDRESS/vendor:0x10de`` and ``.../class:0x030200``
    (a list of lines, or one string).
    """
    if isinstance(sysfs_lines, str):
        sysfs_lines = sysfs_lines.splitlines()
    if not isinstance(sysfs_lines, list):
        raise LabforgeFilterError(f"expected the lines of the PCI sysfs listing, got {got(sysfs_lines)}")
    devices: dict[str, dict[str, str]] = {}
    for line in sysfs_lines:
        if not isinstance(line, str) or ":" not in line:
            continue
        path, _, value = line.rpartition(":")
        parts = path.rstrip("/").split("/")
        if len(parts) < 2 or parts[-1] not in ("vendor", "class"):
            continue
        devices.setdefault(parts[-2], {})[parts[-1]] = value.strip().lower()
    found: list[Any] = [
        address
        for address, attrs in devices.items()
        if attrs.get("vendor") == NVIDIA_VENDOR and attrs.get("class", "").startswith(DISPLAY_CLASS_PREFIX)
    ]
    return sorted(found)


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
