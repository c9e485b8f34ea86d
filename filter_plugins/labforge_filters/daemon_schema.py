"""Checks of Docker's daemon.json, so that a value dockerd would refuse fails before dockerd does.

dockerd refuses to start on an unknown key, a value of the wrong type or one it cannot use (a
mirror that is no URL, a relative data-root, overlapping address pools, a log option its
driver does not know), and Debian 12's dockerd (20.10) has no ``--validate``: checking here
turns a dead daemon into a clear error that names the variable, the value and what is
accepted. The rules follow dockerd's own (registry.ValidateMirror, the insecure-registry
parser, ipamutils, the log drivers' ValidateLogOpt).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

try:
    from .errors import LabforgeFilterError, a_kind, got, show
    from .sizes import size_bytes
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

# The log drivers built into dockerd on Linux, and the options each one takes. Drivers whose
# options share a prefix take any option with it (``syslog-...``); every driver takes the
# delivery options ``mode`` and ``max-buffer-size``.
_ATTRS = ("labels", "labels-regex", "env", "env-regex", "tag")
LOG_DRIVERS: dict[str, tuple[tuple[str, ...], str]] = {
    "json-file": (("max-size", "max-file", "compress", *_ATTRS), ""),
    "local": (("max-size", "max-file", "compress"), ""),
    "journald": (_ATTRS, ""),
    "syslog": (_ATTRS, "syslog-"),
    "gelf": (_ATTRS, "gelf-"),
    "fluentd": (_ATTRS, "fluentd-"),
    "awslogs": (("tag",), "awslogs-"),
    "splunk": (_ATTRS, "splunk-"),
    "gcplogs": (_ATTRS, "gcp-"),
    "logentries": (("line-only", *_ATTRS), "logentries-"),
    "none": ((), ""),
}
_DELIVERY = ("mode", "max-buffer-size")
# Option values shown in messages; any other could be a token (splunk-token, logentries-token).
_SHOWN_LOG_OPTS = frozenset({"max-size", "max-file", "compress", "mode", "max-buffer-size"})
_BOOL_WORDS = ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False")  # Go's ParseBool

ABSOLUTE_PATH_KEYS = (
    "data-root",
    "exec-root",
    "pidfile",
    "init-path",
    "userland-proxy-path",
    "tlscacert",
    "tlscert",
    "tlskey",
)
STORAGE_DRIVERS = ("overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs", "devicemapper", "aufs", "overlay")
RUNTIME_FIELDS = ("path", "runtimeArgs", "runtimeType", "options")
STOCK_RUNTIME = "runc"

# reference.DomainRegexp, the host part of a registry: dot-separated labels, an optional port.
_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST_PORT = re.compile(rf"(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]+))?")
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")

MIRROR_ACCEPTED = (
    "an http:// or https:// URL with a host and an optional port, nothing after it but '/' "
    "(no path, query or user), e.g. https://mirror.lab.example:5000"
)
REGISTRY_ACCEPTED = (
    "host or host:port (port 1 to 65535, no scheme, no path), e.g. registry.lab.example:5000, "
    "or a network in CIDR notation, e.g. 10.0.0.0/8"
)
PATH_ACCEPTED = "an absolute path (starting with /) without '..' or control characters"


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


def _where(variable: str, stands_for: str, key: str, path: str = "") -> str:
    """Where a value sits: ``docker_engine_registry_mirrors[0]`` for a variable that stands for
    one daemon.json key, ``docker_engine_daemon_config: registry-mirrors[0]`` for a layer."""
    if key == stands_for:
        return f"{variable}{path}"
    return f"{variable}: {key}{path}"


def _mask(url: str) -> str:
    """The URL without its password, as dockerd prints it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:xxxxx@{host}").geturl()


def _bad(where: str, value: str, problem: str, accepted: str) -> LabforgeFilterError:
    return LabforgeFilterError(f"{where} is {show(value)}, {problem}; accepted: {accepted}")


def _port_ok(port: str | None) -> bool:
    return port is None or (port.isdigit() and 1 <= int(port) <= 65535)


def check_mirror(value: str, where: str) -> None:
    """dockerd's registry.ValidateMirror, plus a host: an http(s) URL with nothing after the host."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is no number or out of range
    except ValueError:
        raise _bad(where, _mask(value), "not a URL with a port from 1 to 65535", MIRROR_ACCEPTED) from None
    if parts.scheme not in ("http", "https") or "://" not in value:
        raise _bad(where, _mask(value), f"its scheme {parts.scheme!r} is not http or https", MIRROR_ACCEPTED)
    if parts.username is not None or parts.password is not None:
        raise _bad(where, _mask(value), "a user or password is not allowed in a mirror URL", MIRROR_ACCEPTED)
    host = parts.netloc.rpartition(":")[0] if parts.netloc.count(":") == 1 else parts.netloc
    if not parts.hostname or not _HOST_PORT.fullmatch(parts.netloc) or port == 0:
        raise _bad(where, value, f"{host or parts.netloc!r} is not a host[:port]", MIRROR_ACCEPTED)
    if parts.path not in ("", "/") or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise _bad(where, value, "a path, query or fragment after the host is not allowed", MIRROR_ACCEPTED)


def check_registry(value: str, where: str) -> None:
    """An insecure registry (or one for allow-nondistributable-artifacts): host[:port] or CIDR."""
    if "://" in value:
        raise _bad(where, value, "a scheme is not allowed here", REGISTRY_ACCEPTED)
    if "/" in value:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise _bad(where, value, "not a host[:port] nor a network in CIDR notation", REGISTRY_ACCEPTED) from None
        return
    match = _HOST_PORT.fullmatch(value)
    if match is None or not _port_ok(match["port"]):
        try:
            ipaddress.ip_address(value)  # a bare IPv6 address
        except ValueError:
            raise _bad(where, value, "not a host[:port] nor a network in CIDR notation", REGISTRY_ACCEPTED) from None


def check_absolute_path(value: str, where: str) -> None:
    if not value.startswith("/"):
        raise _bad(where, value, "a relative path (dockerd does not start with one)", PATH_ACCEPTED)
    if ".." in value.split("/") or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise _bad(where, value, "not a plain absolute path", PATH_ACCEPTED)


def check_pools(pools: list[Any], variable: str, stands_for: str) -> None:
    """default-address-pools: valid bases, sizes from the base's prefix to 32 (128 for IPv6), no overlap."""
    seen: list[tuple[int, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for index, pool in enumerate(pools):
        where = _where(variable, stands_for, "default-address-pools", f"[{index}]")
        if not (
            isinstance(pool, Mapping)
            and isinstance(pool.get("base"), str)
            and isinstance(pool.get("size"), int)
            and not isinstance(pool.get("size"), bool)
            and set(pool) <= {"base", "size"}
        ):
            raise LabforgeFilterError(
                f"{where} must be a mapping with 'base' (a CIDR string) and 'size' (a prefix length), "
                f"nothing else, got {got(pool)}"
            )
        try:
            base = ipaddress.ip_network(pool["base"], strict=False)
        except ValueError:
            raise LabforgeFilterError(
                f"{where}.base is {show(pool['base'])}, not a network in CIDR notation; accepted: e.g. 10.213.0.0/16"
            ) from None
        if "/" not in pool["base"] or str(base) != pool["base"]:
            raise LabforgeFilterError(
                f"{where}.base is {show(pool['base'])}, not a network address with its prefix; did you mean '{base}'?"
            )
        top = base.max_prefixlen
        if not base.prefixlen <= pool["size"] <= top:
            raise LabforgeFilterError(
                f"{where}.size is {pool['size']}; accepted: a prefix length from the base's "
                f"/{base.prefixlen} to {top}, the size of each network carved from {base}"
            )
        for other, net in seen:
            if net.version == base.version and net.overlaps(base):
                raise LabforgeFilterError(
                    f"{where}.base {base} overlaps pool [{other}] ({net}); accepted: pools that share no address"
                )
        seen.append((index, base))


def check_log_opts(opts: Mapping[str, Any], driver: str | None, where: str) -> None:
    """The options of ``driver`` (None: the layer sets no driver; the options any driver takes)."""
    if driver is not None and driver not in LOG_DRIVERS:
        return  # reported for log-driver itself
    drivers = [driver] if driver is not None else list(LOG_DRIVERS)
    for name, value in opts.items():
        if value is None:
            continue
        spot = f"{where}.{name}"
        known = any(name in LOG_DRIVERS[d][0] or (LOG_DRIVERS[d][1] and name.startswith(LOG_DRIVERS[d][1]))
                    for d in drivers) or (name in _DELIVERY and driver != "none")
        if not known:
            if driver is None:
                raise LabforgeFilterError(f"{spot}: {name!r} is no option of any log driver dockerd knows")
            taken = [*LOG_DRIVERS[driver][0], *(_DELIVERY if driver != "none" else ())]
            prefix = LOG_DRIVERS[driver][1]
            accepted = ", ".join(taken) + (f", {prefix}*" if prefix else "") if taken or prefix else "none"
            raise LabforgeFilterError(f"{spot}: the {driver} log driver has no option {name!r}; accepted: {accepted}")
        shown = show(value) if name in _SHOWN_LOG_OPTS else "(value not shown)"
        if name in ("max-size", "max-buffer-size"):
            try:
                positive = size_bytes(value) > 0
            except LabforgeFilterError:
                positive = False
            if not positive:
                raise LabforgeFilterError(
                    f"{spot} is {shown}; accepted: a size above 0 as a string, a number and a unit "
                    "b, k, m or g, e.g. '10m'"
                )
        elif name == "max-file" and not (value.isascii() and value.isdigit() and int(value) >= 1):
            raise LabforgeFilterError(f"{spot} is {shown}; accepted: a positive integer as a string, e.g. '3'")
        elif name == "compress" and value not in _BOOL_WORDS:
            raise LabforgeFilterError(f"{spot} is {shown}; accepted: 'true' or 'false'")
        elif name == "mode" and value not in ("blocking", "non-blocking"):
            raise LabforgeFilterError(f"{spot} is {shown}; accepted: 'blocking' or 'non-blocking'")


def check_runtimes(runtimes: Mapping[str, Any], where: str) -> None:
    for name, runtime in runtimes.items():
        spot = f"{where}.{name}"
        if runtime is None:
            continue
        if name == STOCK_RUNTIME:
            raise LabforgeFilterError(f"{spot}: the runtime name {STOCK_RUNTIME!r} is dockerd's own; choose another name")
        if not isinstance(runtime, Mapping) or not set(runtime) <= set(RUNTIME_FIELDS):
            raise LabforgeFilterError(
                f"{spot} must be a mapping of {', '.join(RUNTIME_FIELDS)}, got {got(runtime)}"
            )
        path, args = runtime.get("path"), runtime.get("runtimeArgs", [])
        if path is None and runtime.get("runtimeType") is None:
            raise LabforgeFilterError(f"{spot} needs 'path' (the runtime's program) or 'runtimeType' (a containerd shim)")
        if path is not None:
            if not isinstance(path, str) or not path or ("/" in path and not path.startswith("/")):
                raise LabforgeFilterError(
                    f"{spot}.path is {got(path)}; accepted: an absolute path, or a program name that "
                    "dockerd finds on its PATH (no '/'), e.g. /usr/bin/crun or nvidia-container-runtime"
                )
            if path.startswith("/"):
                check_absolute_path(path, f"{spot}.path")
        if not (isinstance(args, list) and all(isinstance(arg, str) for arg in args)):
            raise LabforgeFilterError(f"{spot}.runtimeArgs must be a list of strings, got {got(args)}")


def _check_meaning(key: str, value: Any, variable: str, stands_for: str, config: Mapping[str, Any]) -> None:
    """What a value of the right type must also be for dockerd to start with it."""
    where = _where(variable, stands_for, key)
    if key == "registry-mirrors":
        for index, item in enumerate(value):
            check_mirror(item, f"{where}[{index}]")
    elif key in ("insecure-registries", "allow-nondistributable-artifacts"):
        for index, item in enumerate(value):
            check_registry(item, f"{where}[{index}]")
    elif key in ABSOLUTE_PATH_KEYS:
        check_absolute_path(value, where)
    elif key == "default-address-pools":
        check_pools(value, variable, stands_for)
    elif key == "log-level" and value not in _LEVELS:
        raise LabforgeFilterError(f"{variable}: 'log-level' must be one of {', '.join(_LEVELS)}, got {got(value)}")
    elif key == "log-driver" and value not in LOG_DRIVERS:
        raise LabforgeFilterError(
            f"{where} is {show(value)}, not a log driver built into dockerd; accepted: {', '.join(LOG_DRIVERS)} "
            "(for a logging plugin, list log-driver and log-opts in docker_engine_daemon_extra_keys)"
        )
    elif key == "log-opts":
        driver = config.get("log-driver")
        check_log_opts(value, driver if isinstance(driver, str) else None, where)
    elif key == "storage-driver" and value not in STORAGE_DRIVERS:
        raise LabforgeFilterError(f"{where} is {show(value)}; accepted: {', '.join(STORAGE_DRIVERS)}")
    elif key == "runtimes":
        check_runtimes(value, where)
    elif key == "dns":
        for index, item in enumerate(value):
            try:
                ipaddress.ip_address(item)
            except ValueError:
                raise _bad(f"{where}[{index}]", item, "not an IP address", "an IPv4 or IPv6 address") from None
    elif key == "dns-search":
        for index, item in enumerate(value):
            if not (_DOMAIN.fullmatch(item) and len(item) <= 255):
                raise _bad(f"{where}[{index}]", item, "not a domain name", "a domain such as lab.example")
    elif key == "labels":
        for index, item in enumerate(value):
            if "=" not in item or item.startswith("="):
                raise _bad(f"{where}[{index}]", item, "not key=value", "key=value, e.g. lab=physics")
    elif key in ("mtu", "max-concurrent-downloads", "max-concurrent-uploads", "shutdown-timeout") and value < 0:
        raise LabforgeFilterError(f"{where} is {value}; accepted: 0 or more")
    elif key == "mtu" and value > 65535:
        raise LabforgeFilterError(f"{where} is {value}; accepted: 0 (the default) to 65535")
    elif key == "max-download-attempts" and value < 1:
        raise LabforgeFilterError(f"{where} is {value}; accepted: 1 or more")


def docker_daemon_check(
    config: object, variable: str = "daemon.json", extra_keys: Iterable[str] = (), stands_for: str = ""
) -> dict[str, Any]:
    """Return ``config`` unchanged when every key is known and its value is one dockerd takes.

    ``variable`` names where the settings came from, for the error message; ``stands_for`` is
    the daemon.json key that the variable stands for on its own (``registry-mirrors`` for
    ``docker_engine_registry_mirrors``), so that messages point into the variable itself. Keys
    in ``extra_keys`` are accepted unchecked (for options newer than this list), and so is null
    for any key (it removes the key).
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
            if key == stands_for:
                raise LabforgeFilterError(f"{variable} must be {expected}, got {got(value)}")
            raise LabforgeFilterError(f"{variable}: {key!r} must be {expected}, got {got(value)}")
        _check_meaning(key, value, variable, stands_for, config)
    return dict(config)


def docker_daemon_check_layers(
    layers: object, extra_keys: Iterable[str] = (), stands_for: object = None
) -> dict[str, Any]:
    """:func:`docker_daemon_check` on each layer of ``layers`` (variable name to settings), with
    the daemon.json key each variable stands for from ``stands_for``. One call instead of a task
    loop: a failed loop item would print the whole layer, secrets and all."""
    if not isinstance(layers, Mapping):
        raise LabforgeFilterError(f"the daemon.json layers must be a mapping of variable names, got {a_kind(layers)}")
    keys = stands_for if isinstance(stands_for, Mapping) else {}
    for variable, config in layers.items():
        docker_daemon_check(config, str(variable), extra_keys, str(keys.get(variable) or ""))
    return dict(layers)


def _conflicting_labels(labels: list[str]) -> tuple[str, str] | None:
    values: dict[str, str] = {}
    for label in labels:
        name, _, _ = label.partition("=")
        if name in values and values[name] != label:
            return values[name], label
        values.setdefault(name, label)
    return None


def docker_daemon_check_merged(
    settings: object, layers: object, extra_keys: Iterable[str] = (), host_file: str = "the host's daemon.json"
) -> dict[str, Any]:
    """Return the merged daemon.json ``settings`` unchanged when they hang together.

    What no single layer can show: pools that overlap across layers, labels that give one key
    two values, log options of another driver than the one that ends up set, a default runtime
    that is not defined. ``layers`` maps each variable's name to its settings, in merge order;
    a problem is blamed on the last layer that sets the key, else on ``host_file``.
    """
    if not isinstance(settings, Mapping):
        raise LabforgeFilterError(f"the merged daemon.json settings must be a mapping, got {got(settings)}")
    if not isinstance(layers, Mapping):
        raise LabforgeFilterError(f"layers must map variable names to daemon.json settings, got {got(layers)}")
    extra = set(extra_keys)

    def blame(key: str, *also: str) -> str:
        for name, layer in reversed(list(layers.items())):
            if isinstance(layer, Mapping) and any(layer.get(k) is not None for k in (key, *also)):
                return name
        return host_file

    pools = settings.get("default-address-pools")
    if "default-address-pools" not in extra and isinstance(pools, list):
        check_pools(pools, blame("default-address-pools") + " (merged with the other layers)", "")
    labels = settings.get("labels")
    if "labels" not in extra and isinstance(labels, list) and all(isinstance(x, str) for x in labels):
        clash = _conflicting_labels(labels)
        if clash:
            raise LabforgeFilterError(
                f"{blame('labels')}: labels {clash[0]!r} and {clash[1]!r} give one key two values, which dockerd "
                "refuses (lists of all layers are united); set the key once, or remove the other with null"
            )
    driver, opts = settings.get("log-driver", "json-file"), settings.get("log-opts")
    if not extra & {"log-driver", "log-opts"} and isinstance(opts, Mapping) and isinstance(driver, str):
        check_log_opts(opts, driver, f"{blame('log-opts', 'log-driver')}: log-opts")
    default = settings.get("default-runtime")
    runtimes = settings.get("runtimes") or {}
    if (
        "default-runtime" not in extra
        and isinstance(default, str)
        and default != STOCK_RUNTIME
        and not default.startswith("io.containerd.")
        and isinstance(runtimes, Mapping)
        and default not in runtimes
    ):
        raise LabforgeFilterError(
            f"{blame('default-runtime')}: default-runtime is {show(default)}, which no runtime defines; "
            f"accepted: {', '.join([STOCK_RUNTIME, *runtimes]) }"
        )
    return dict(settings)


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
