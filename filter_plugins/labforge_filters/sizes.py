"""Size strings (``512m``, ``2GiB``, ``1.5g``) as bytes: container memory limits and VM disks.

One reading for both, so that an operator writes sizes the same way everywhere: that of
go-units ``RAMInBytes``, which dockerd and the docker CLI use (qemu-img's units are binary
too, and lab_vm hands it the bytes): a
decimal number, one optional space, then an optional unit ``b k m g t p`` in any
case, where a unit letter other than ``b`` may be followed by ``i``, ``b`` or
``ib``. Every unit is binary (k = 1024). The number is multiplied as a float64
and truncated, like Docker does, so ``0.5k`` is 512 and ``1.0001k`` is 1024.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

try:
    from .errors import LabforgeFilterError, show
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

INT64_MAX = 2**63 - 1
MULTIPLIERS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}
_SIZE = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?) ?(?P<unit>(?:(?P<prefix>[kmgtp])(?:i?b?))|b)?", re.IGNORECASE)
ACCEPTED = (
    "a non-negative integer of bytes, or a string like '100', '512m', '1.5g', '2GiB' or '512 MB' "
    "(units b, k, m, g, t, p, any case, optionally followed by i and/or b; 1k = 1024)"
)


def size_bytes(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        raise LabforgeFilterError(f"size {show(size)} has the wrong type; accepted: {ACCEPTED}")
    if isinstance(size, int):
        if not 0 <= size <= INT64_MAX:
            raise LabforgeFilterError(f"size {size} is out of range; accepted: {ACCEPTED}")
        return int(size)
    match = _SIZE.fullmatch(size)
    if match is None:
        raise LabforgeFilterError(f"invalid size {str(size)!r}; accepted: {ACCEPTED}")
    prefix = (match["prefix"] or "").lower()
    product = float(match["number"]) * MULTIPLIERS[prefix]  # float64, as Docker computes it
    if not math.isfinite(product) or product > INT64_MAX:
        raise LabforgeFilterError(f"size {str(size)!r} is more than {INT64_MAX} bytes")
    return int(product)


def size_valid(size: object) -> bool:
    try:
        size_bytes(size)
    except LabforgeFilterError:
        return False
    return True


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
