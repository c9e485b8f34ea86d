"""Validate and complete the jupyter role's ``jupyter_instances`` in one pass.

Every check runs before the role changes anything, and every error names the instance,
the field and what is accepted. The result is what the role's tasks and templates use:
one flat mapping per instance, with defaults filled in, the port planned, the image
normalised, the memory in bytes and the password hashed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, a_kind, got, show
    from .image_ref import parse_image_ref
    from .password import jupyter_password_check, jupyter_password_hash, jupyter_password_is_hashed
    from .port_plan import jupyter_port_plan
    from .sizes import size_bytes
    from .systemd import systemd_escape
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

VARIABLE = "jupyter_instances"
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
VOLUME_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
# Host paths reach docker's --mount (comma-separated) through a systemd unit (split at spaces).
HOST_PATH = re.compile(r"/[A-Za-z0-9_./+@-]*")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
GPUS = re.compile(r"all|[1-9][0-9]*|device=[0-9A-Za-z,:-]+")
STATES = ("present", "stopped", "absent")
UIS = ("lab", "notebook")
FIELDS = {
    "name", "image", "port", "bind_address", "volume", "token", "token_file", "password",
    "memory", "cpus", "pids_limit", "gpus", "env", "ui", "base_url", "state", "purge_data",
}
MIN_TOKEN = 16
DOCKER_LISTENERS = ("docker-proxy", "dockerd")
MIN_MEMORY = 6 * 1024 * 1024  # dockerd refuses less
RESERVED_ENV = {"JUPYTER_TOKEN", "JUPYTER_PORT", "DOCKER_STACKS_JUPYTER_CMD"}
SYSTEM_DIRS = {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/proc", "/root", "/run",
               "/sbin", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/lib/docker"}


def _fail(where: str, message: str) -> LabforgeFilterError:
    return LabforgeFilterError(f"{VARIABLE}[{where}]: {message}")


def _name(index: int, item: object) -> str:
    if not isinstance(item, Mapping):
        raise _fail(str(index), f"each instance must be a mapping with at least a name, got {got(item)}")
    name = item.get("name")
    if name is None:
        raise _fail(str(index), "name is required: 1-63 characters of a-z, 0-9, '_', '.', '-'")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise _fail(
            str(index),
            f"name must be 1-63 characters of a-z, 0-9, '_', '.', '-' starting with a letter or digit, got {show(name)}",
        )
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        raise _fail(name, f"unknown field(s) {', '.join(unknown)}; accepted: {', '.join(sorted(FIELDS))}")
    return name


def _choice(name: str, field: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _fail(name, f"{field} must be one of {', '.join(choices)}, got {show(value)}")
    return str(value)


def _image(name: str, value: object) -> dict[str, Any]:
    try:
        return parse_image_ref(value).as_dict()
    except LabforgeFilterError as error:
        raise _fail(name, f"image: {error}") from None


def _bind_address(name: str, value: object) -> str:
    if isinstance(value, str):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
    raise _fail(name, f"bind_address must be an IPv4 or IPv6 address such as 127.0.0.1, got {show(value)}")


def _volume(name: str, value: object) -> dict[str, str]:
    if value is None:
        return {"type": "volume", "source": f"jupyter-{name}"}
    if isinstance(value, str) and value.startswith("/"):
        path = "/" + "/".join(part for part in value.split("/") if part)
        if not HOST_PATH.fullmatch(path):
            raise _fail(name, f"volume {show(value)} may hold only letters, digits and '/', '_', '.', '-', '+', '@'")
        if path in SYSTEM_DIRS or ".." in path.split("/"):
            raise _fail(name, f"volume {value!r} is a system directory; use a directory of its own such as /srv/jupyter/{name}")
        return {"type": "path", "source": path}
    if isinstance(value, str) and VOLUME_NAME.fullmatch(value):
        return {"type": "volume", "source": value}
    raise _fail(
        name,
        f"volume must be a docker volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+) or an absolute host path, got {show(value)}",
    )


def _memory(name: str, value: object) -> int:
    try:
        size = size_bytes(value)
    except LabforgeFilterError as error:
        raise _fail(name, f"memory: {error}") from None
    if size < MIN_MEMORY:
        raise _fail(name, f"memory {show(value)} is below Docker's minimum of 6m")
    return size


def _cpus(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1024:
        raise _fail(name, f"cpus must be a number above 0 such as 2 or 0.5, got {show(value)}")
    return f"{value:g}"


def _pids(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 16:
        raise _fail(name, f"pids_limit must be an integer of at least 16, got {show(value)}")
    return value


def _gpus(name: str, value: object) -> str | None:
    if value in (None, False, 0, ""):
        return None
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if text is None or not GPUS.fullmatch(text):
        raise _fail(name, f"gpus must be 'all', a count such as 1, or 'device=0,1', got {show(value)}")
    return text


def _env(name: str, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(name, f"env must be a mapping of variable names to values, got {got(value)}")
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not ENV_NAME.fullmatch(key):
            raise _fail(name, f"env name {show(key)} must match [A-Za-z_][A-Za-z0-9_]*")
        if key in RESERVED_ENV:
            raise _fail(name, f"env {key} is set by the role; use the instance's token, port or ui fields")
        if isinstance(item, bool):
            item = "true" if item else "false"
        if not isinstance(item, (str, int, float)) or "\n" in str(item):
            raise _fail(name, f"env {key} must be a single-line string or number, got {got(item)}")
        result[key] = str(item)
    return result


def _base_url(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/") or any(c in value for c in " ?#\"'\\"):
        raise _fail(name, f"base_url must be a URL path starting with '/', such as /jupyter/{name}/, got {show(value)}")
    return value if value.endswith("/") else value + "/"


def _local_url(address: str, port: int, base_url: str) -> str:
    """Where the host itself reaches the instance (a wildcard bind is reached on loopback)."""
    ip = ipaddress.ip_address(address)
    if ip.is_unspecified:
        ip = ipaddress.ip_address("::1" if ip.version == 6 else "127.0.0.1")
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"http://{host}:{port}{base_url}"


def _publish(address: str, port: int) -> str:
    ip = ipaddress.ip_address(address)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"{host}:{port}:8888"


def _auth(name: str, item: Mapping[str, Any], previous_hash: object) -> dict[str, Any]:
    given = [field for field in ("token", "token_file", "password") if item.get(field) not in (None, "")]
    if not given:
        raise _fail(name, "no way to authenticate: set one of token, token_file or password")
    if len(given) > 1:
        raise _fail(name, f"set only one of token, token_file or password, got {' and '.join(given)}")
    field, value = given[0], item[given[0]]
    if not isinstance(value, str):  # the value may be a secret: name its kind only
        raise _fail(name, f"{field} must be a string, got {a_kind(value)}")
    if field == "token":
        if len(value) < MIN_TOKEN or not value.isprintable() or " " in value:
            raise _fail(name, f"token must be at least {MIN_TOKEN} printable characters without spaces")
        return {"auth": "token", "token": value}
    if field == "token_file":
        if not value.startswith("/"):
            raise _fail(name, f"token_file must be an absolute path on the host, got {show(value)}")
        return {"auth": "token_file", "token_file": value}
    if jupyter_password_is_hashed(value):
        return {"auth": "password", "password_hash": value}
    if isinstance(previous_hash, str) and jupyter_password_check(previous_hash, value):
        return {"auth": "password", "password_hash": previous_hash}
    return {"auth": "password", "password_hash": jupyter_password_hash(value)}


def ss_listeners(text: object) -> list[dict[str, Any]]:
    """Listening TCP ports from ``ss -Hltnp`` output, with the program that listens."""
    listeners = []
    for line in str(text or "").splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        port = fields[3].rsplit(":", 1)[-1]
        process = re.search(r'users:\(\("([^"]+)"', line)
        if port.isdigit():
            listeners.append({"port": int(port), "process": process.group(1) if process else "another program"})
    return listeners


def _busy_ports(busy: object) -> dict[int, str]:
    ports: dict[int, str] = {}
    for entry in busy or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("port"), int):
            ports[entry["port"]] = str(entry.get("process") or "another program")
    return ports


def jupyter_instances_check(
    instances: object,
    defaults: object,
    previous_ports: object = None,
    busy_ports: object = None,
    previous_hashes: object = None,
    host: object = None,
) -> list[dict[str, Any]]:
    """The instances, checked and completed.

    ``defaults`` holds image, bind_address, memory, cpus, pids_limit, ui, base_url and
    port_range ([start, end]). ``previous_ports`` is the plan of the last run,
    ``busy_ports`` lists listeners of other programs ({port, process}), and
    ``previous_hashes`` the password hash each instance has now (kept when the password
    still matches, so re-runs change nothing). ``host``, when the host was read, holds what it
    offers - ``cpus``, ``memory`` (bytes), ``gpus`` (a count) - and ``paths``, each volume
    path's kind (``directory``, ``file`` or ``missing``): an instance must fit the host, and
    its volume path must not be a file.
    """
    if not isinstance(instances, list):
        raise LabforgeFilterError(f"{VARIABLE} must be a list of instances, got {got(instances)}")
    if not isinstance(defaults, Mapping):
        raise LabforgeFilterError(f"defaults must be a mapping, got {got(defaults)}")
    names = [_name(index, item) for index, item in enumerate(instances)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _fail(name, "two instances have this name; names must be unique on a host")
        seen.add(name)
    start, end = defaults.get("port_range", [8888, 8999])
    try:
        plan = jupyter_port_plan(instances, previous_ports or {}, start, end)
    except LabforgeFilterError as error:
        raise LabforgeFilterError(f"{VARIABLE}: {error}") from None
    busy = _busy_ports(busy_ports)
    hashes = previous_hashes if isinstance(previous_hashes, Mapping) else {}
    result = []
    for item in instances:
        name = str(item["name"])
        state = _choice(name, "state", item.get("state", "present"), STATES)
        merged = {**defaults, **{k: v for k, v in item.items() if v is not None}}
        instance: dict[str, Any] = {
            "name": name,
            "state": state,
            "unit": f"labforge-jupyter@{systemd_escape(name)}.service",
            "container": f"labforge-jupyter-{name}",
            "volume": _volume(name, item.get("volume")),
            "purge_data": merged.get("purge_data", False),
        }
        if not isinstance(instance["purge_data"], bool):
            raise _fail(name, f"purge_data must be true or false, got {show(instance['purge_data'])}")
        if state == "absent":
            result.append(instance)
            continue
        port = plan[name]
        # dockerd (or its docker-proxy) holds the port of a running instance itself
        ours = busy.get(port) in DOCKER_LISTENERS and (previous_ports or {}).get(name) == port
        if port in busy and not ours:
            raise _fail(name, f"port {port} is already in use on this host by {busy[port]}; choose another port")
        instance.update(
            image=_image(name, merged.get("image")),
            port=port,
            bind_address=_bind_address(name, merged.get("bind_address")),
            memory=_memory(name, merged.get("memory")),
            cpus=_cpus(name, merged.get("cpus")),
            pids_limit=_pids(name, merged.get("pids_limit")),
            gpus=_gpus(name, merged.get("gpus")),
            env=_env(name, item.get("env")),
            ui=_choice(name, "ui", merged.get("ui", "lab"), UIS),
            base_url=_base_url(name, merged.get("base_url", "/")),
            **_auth(name, item, hashes.get(name)),
        )
        instance["url"] = _local_url(instance["bind_address"], port, instance["base_url"])
        instance["publish"] = _publish(instance["bind_address"], port)
        if isinstance(host, Mapping):
            _fits(instance, host, merged)
        result.append(instance)
    return result


def _fits(instance: Mapping[str, Any], host: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """Fail when the instance asks for more than the host has, or its volume path is a file."""
    name = instance["name"]
    cpus, memory, gpus = host.get("cpus"), host.get("memory"), host.get("gpus")
    if isinstance(cpus, int) and cpus > 0 and float(instance["cpus"]) > cpus:
        raise _fail(name, f"cpus {instance['cpus']} is more than the {cpus} CPU(s) of this host; "
                          f"Docker accepts 0.01 to {cpus}")
    if isinstance(memory, int) and memory > 0 and instance["memory"] > memory:
        raise _fail(name, f"memory {show(given.get('memory'))} is more than this host's {memory // 2**20} MiB")
    if instance.get("gpus") and instance["state"] == "present" and isinstance(gpus, int):
        wanted = instance["gpus"]
        ids = wanted.split("=", 1)[1].split(",") if wanted.startswith("device=") else []
        count = len(ids) if ids else (1 if wanted == "all" else int(wanted))
        if gpus == 0 or count > gpus or any(i.isdigit() and int(i) >= gpus for i in ids):
            raise _fail(name, f"gpus {wanted!r} asks for GPU(s) this host does not have (it has {gpus}); "
                              "a stopped instance may name GPUs a host will get")
    volume = instance["volume"]
    kind = (host.get("paths") or {}).get(volume["source"]) if volume["type"] == "path" else None
    if kind == "file":
        raise _fail(name, f"volume {volume['source']} is a file on this host; it must be a directory or not exist yet")


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
