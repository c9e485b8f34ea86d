"""Which host names or addresses a TLS certificate's subject alternative names cover.

The SAN strings are community.crypto's (``DNS:lab.example.org``, ``IP:192.0.2.7``), as its
``x509_certificate_info`` filter returns them. A wildcard covers exactly one leftmost label
(RFC 6125, section 6.4.3), as browsers match it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

try:
    from .errors import LabforgeFilterError, a_kind
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


def _dns_covers(pattern: str, name: str) -> bool:
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if not pattern.startswith("*."):
        return pattern == name
    first, _, rest = name.partition(".")
    return bool(first) and rest == pattern[2:]


def _covered(sans: list[str], name: str) -> bool:
    address = _address(name)
    for san in sans:
        kind, _, value = san.partition(":")
        if address is not None and kind == "IP" and _address(value) == address:
            return True
        if address is None and kind == "DNS" and _dns_covers(value, name):
            return True
    return False


def tls_names_uncovered(sans: object, names: object) -> list[str]:
    """The entries of ``names`` (host names or IP addresses) that no SAN in ``sans`` covers."""
    for label, value in (("subject alternative names", sans), ("names", names)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise LabforgeFilterError(f"tls_names_uncovered: the {label} must be a list of strings, got {a_kind(value)}")
    return [name for name in names if not _covered(list(sans), name)]


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
