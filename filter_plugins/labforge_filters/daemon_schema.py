"""Type checks for Docker's daemon.json, so that a wrong value fails before dockerd does.

dockerd refuses to start on an unknown key or a value of the wrong type, and Debian 12's
dockerd (20.10) has no ``--validate``: checking here turns a dead daemon into a clear
error that names the variable, the key and what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, got
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

BOOL = "a boolean"
STR = "a string"
INT = "an integer"
STR_LIST = "a list of strings"
STR_MAP = "a mapping of strings to strings"
MAP = "a mapping"
LIST = "a list"

# The keys of daemon.json as dockerd's reference documents them, with their types.
DAEMON_KEYS: dict[str, str] = {
    **dict.fromkeys(
        [
            "debug",
            "experimental",
            "icc",
            "init",
            "ip-forward",
            "ip-masq",
            "iptables",
            "ip6tables",
            "ipv6",
            "live-restore",
            "no-new-privileges",
            "raw-logs",
            "selinux-enabled",
            "tls",
            "tlsverify",
            "userland-proxy",
            "ip-forward-no-drop",
            "disable-legacy-registry",
        ],
        BOOL,
    ),
    **dict.fromkeys(
        [
            "api-cors-header",
            "bip",
            "bip6",
            "bridge",
            "cgroup-parent",
            "containerd",
            "containerd-namespace",
            "containerd-plugins-namespace",
            "data-root",
            "default-cgroupns-mode",
            "default-gateway",
            "default-gateway-v6",
            "default-ipc-mode",
            "default-runtime",
            "default-shm-size",
            "exec-root",
            "fixed-cidr",
            "fixed-cidr-v6",
            "group",
            "host-gateway-ip",
            "init-path",
            "ip",
            "log-driver",
            "log-format",
            "log-level",
            "pidfile",
            "seccomp-profile",
            "storage-driver",
            "swarm-default-advertise-addr",
            "tlscacert",
            "tlscert",
            "tlskey",
            "userland-proxy-path",
            "userns-remap",
            "firewall-backend",
        ],
        STR,
    ),
    **dict.fromkeys(
        [
            "max-concurrent-downloads",
            "max-concurrent-uploads",
            "max-download-attempts",
            "mtu",
            "oom-score-adjust",
            "shutdown-timeout",
            "cpu-rt-period",
            "cpu-rt-runtime",
        ],
        INT,
    ),
    **dict.fromkeys(
        [
            "allow-nondistributable-artifacts",
            "authorization-plugins",
            "cdi-spec-dirs",
            "dns",
            "dns-opts",
            "dns-search",
            "exec-opts",
            "hosts",
            "insecure-registries",
            "labels",
            "node-generic-resources",
            "registry-mirrors",
            "storage-opts",
            "host-gateway-ips",
        ],
        STR_LIST,
    ),
    **dict.fromkeys(["log-opts", "default-network-opts"], STR_MAP),
    **dict.fromkeys(["builder", "default-ulimits", "features", "proxies", "runtimes"], MAP),
    "default-address-pools": LIST,
}

_LEVELS = ("debug", "info", "warn", "error", "fatal")


def _fits(value: Any, expected: str) -> bool:
    if expected == BOOL:
        return isinstance(value, bool)
    if expected == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == STR:
        return isinstance(value, str)
    if expected == STR_LIST:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if expected == STR_MAP:
        # null removes the option, as at the top level
        return isinstance(value, Mapping) and all(v is None or isinstance(v, str) for v in value.values())
    if expected == MAP:
        return isinstance(value, Mapping)
    return isinstance(value, list)


def _check_pools(pools: list[Any], where: str) -> None:
    for index, pool in enumerate(pools):
        if not (
            isinstance(pool, Mapping)
            and isinstance(pool.get("base"), str)
            and isinstance(pool.get("size"), int)
            and not isinstance(pool.get("size"), bool)
            and 1 <= pool["size"] <= 32
        ):
            raise LabforgeFilterError(
                f"{where}: default-address-pools[{index}] must be a mapping with 'base' "
                f"(a CIDR string) and 'size' (a prefix length from 1 to 32), got {got(pool)}"
            )


def docker_daemon_check(
    config: object, variable: str = "daemon.json", extra_keys: Iterable[str] = ()
) -> dict[str, Any]:
    """Return ``config`` unchanged when every key is known and of the right type.

    ``variable`` names where the settings came from, for the error message; keys in
    ``extra_keys`` are accepted unchecked (for options newer than this list), and so is
    null for any key (it removes the key).
    """
    if not isinstance(config, Mapping):
        raise LabforgeFilterError(f"{variable} must be a mapping of daemon.json settings, got {got(config)}")
    allowed_extra = set(extra_keys)
    for key, value in config.items():
        # null removes the key from daemon.json, whatever it is: also one this list does not know,
        # which an operator may have added to the host's file by hand.
        if key in allowed_extra or value is None:
            continue
        expected = DAEMON_KEYS.get(key)
        if expected is None:
            raise LabforgeFilterError(
                f"{variable}: {key!r} is not a daemon.json option dockerd knows; check its spelling "
                "against the dockerd reference, or list it in docker_engine_daemon_extra_keys"
            )
        if not _fits(value, expected):
            raise LabforgeFilterError(f"{variable}: {key!r} must be {expected}, got {got(value)}")
        if key == "default-address-pools":
            _check_pools(value, variable)
        if key == "log-level" and value not in _LEVELS:
            raise LabforgeFilterError(f"{variable}: 'log-level' must be one of {', '.join(_LEVELS)}, got {got(value)}")
    return dict(config)


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
