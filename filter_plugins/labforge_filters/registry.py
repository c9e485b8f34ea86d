"""The registry_mirror role's pull-through caches, one per upstream registry, and the image
references that name them; the blobs of container images, from their manifests as a registry
serves them."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, got, show
    from .image_ref import parse_image_ref
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

_MANIFEST_URL = re.compile(r"^(?P<base>[a-z]+://[^/]+)?.*?/v2/(?P<repository>.+)/manifests/[^/]+$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


VARIABLE = "registry_mirror_upstreams"
SHORTHAND = "registry_mirror_upstream"
UNIT = "labforge-registry-mirror@{port}.service"
FIELDS = ("url", "port", "name", "username", "password", "prefetch")
# Docker Hub's registry API answers at these hosts; image references call it docker.io.
DOCKER_HUB_HOSTS = {"registry-1.docker.io", "index.docker.io", "registry.hub.docker.com", "docker.io"}

_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_HOST = rf"(?:\[[0-9A-Fa-f:.]+\]|{_HOST_NAME.pattern})"
_URL = re.compile(rf"(?P<scheme>https?)://(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?/?")
_ENDPOINT = re.compile(rf"(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
# The first component must not look like a host (a dot, a colon, localhost): that is the cache's job.
_PREFETCH = re.compile(rf"(?![^/]*[.:][^/]*/)(?!localhost/)(?P<repository>{_COMPONENT}(?:/{_COMPONENT})*):(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})")

URL_ACCEPTED = ("the URL of the registry to cache: http:// or https://, a host and an optional port 1-65535, "
                "no path (for example https://registry.lab.example:5000)")
NAME_ACCEPTED = ("the registry as image references name it: a host with a '.' or a ':port', or localhost "
                 "(quay.io, docker.io, registry.lab.example:5000)")
PREFETCH_ACCEPTED = ("repository:tag as named at the upstream, without the registry's host "
                     "(for example jupyter/minimal-notebook:2025-10-20)")


def _json(value: object) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return show(value)


def _port_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _endpoint(value: object) -> re.Match[str] | None:
    """host[:port] with the port in range, or None."""
    match = _ENDPOINT.fullmatch(value) if isinstance(value, str) else None
    if match is None or (match["port"] is not None and not _port_ok(int(match["port"]))):
        return None
    return match


def _is_registry_name(value: object) -> bool:
    """Whether image references would take ``value`` for a registry (Docker's rule)."""
    match = _endpoint(value)
    if match is None:
        return False
    host = match["host"]
    return "." in host or host.startswith("[") or host == "localhost" or match["port"] is not None


def _upstream_name(url: str) -> str:
    """The registry's name in image references: the URL's host[:port]; docker.io for Docker Hub."""
    match = _URL.fullmatch(url)
    assert match is not None
    host = match["host"].lower()
    if host in DOCKER_HUB_HOSTS and match["port"] is None:
        return "docker.io"
    return host if match["port"] is None else f"{host}:{match['port']}"


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _entry(where: str, names: Mapping[str, str], item: Mapping[str, Any]) -> dict[str, Any]:
    """One upstream checked; ``names`` says how to name each field in errors."""
    url = item.get("url")
    match = _URL.fullmatch(url) if isinstance(url, str) else None
    if match is None or _endpoint(url.split("://", 1)[1].rstrip("/")) is None:
        raise LabforgeFilterError(f"{names['url']} must be {URL_ACCEPTED}; got {_json(url)}")
    port = item.get("port")
    if not _port_ok(port):
        raise LabforgeFilterError(f"{names['port']} must be a TCP port, 1-65535; got {_json(port)}")
    name = item.get("name")
    if name in (None, ""):
        name = _upstream_name(url)
    elif not _is_registry_name(name):
        raise LabforgeFilterError(f"{names['name']} must be {NAME_ACCEPTED}; got {_json(name)}")
    username, password = item.get("username") or "", item.get("password") or ""
    if not isinstance(username, str) or not isinstance(password, str):
        raise LabforgeFilterError(f"{names['username']} and {names['password']} must be strings")
    if bool(username) != bool(password):
        raise LabforgeFilterError(
            f"{names['username']} and {names['password']} go together: set both (the upstream needs a login) or neither."
        )
    prefetch = item.get("prefetch") or []
    if not isinstance(prefetch, list):
        raise LabforgeFilterError(f"{names['prefetch']} must be a list of {PREFETCH_ACCEPTED}; got {got(prefetch)}")
    bad = [ref for ref in prefetch if not isinstance(ref, str) or _PREFETCH.fullmatch(ref) is None]
    if bad:
        raise LabforgeFilterError(f"{names['prefetch']}: {_json(bad)} must be {PREFETCH_ACCEPTED}")
    return {"where": where, "name": name, "url": url.rstrip("/"), "port": port, "username": username,
            "password": password, "prefetch": list(prefetch)}


def _entries(upstreams: object, shorthand: object = None) -> list[dict[str, Any]]:
    """Every upstream checked: the one of the shorthand variables first, then the list's."""
    entries: list[dict[str, Any]] = []
    if isinstance(shorthand, Mapping) and shorthand.get("url") not in (None, ""):
        names = {"url": SHORTHAND, "port": "registry_mirror_port", "name": "name", "username": "registry_mirror_username",
                 "password": "registry_mirror_password", "prefetch": "registry_mirror_prefetch"}
        entries.append(_entry(f"{SHORTHAND} (registry_mirror_port {shorthand.get('port')})", names, shorthand))
    elif isinstance(shorthand, Mapping) and shorthand.get("prefetch"):
        raise LabforgeFilterError(
            f"registry_mirror_prefetch lists images of {SHORTHAND}, which is not set; "
            f"with {VARIABLE}, list each upstream's images in its own prefetch"
        )
    if upstreams is None:
        upstreams = []
    if not isinstance(upstreams, list):
        raise LabforgeFilterError(f"{VARIABLE} must be a list of upstreams (url and port each), got {got(upstreams)}")
    for index, item in enumerate(upstreams):
        where = f"{VARIABLE}[{index}]"
        if not isinstance(item, Mapping):
            raise LabforgeFilterError(f"{where} must be a mapping with url and port, got {got(item)}")
        unknown = sorted(set(map(str, item)) - set(FIELDS))
        if unknown:
            raise LabforgeFilterError(f"{where}: unknown field(s) {', '.join(unknown)}; accepted: {', '.join(FIELDS)}")
        entries.append(_entry(where, {field: f"{where}.{field}" for field in FIELDS}, item))
    if not entries:
        raise LabforgeFilterError(
            f"no registry to cache: set {VARIABLE} (a list of url and port) or {SHORTHAND} (one URL, on registry_mirror_port)"
        )
    by_port: dict[int, str] = {}
    by_name: dict[str, str] = {}
    for entry in entries:
        if entry["port"] in by_port:
            raise LabforgeFilterError(
                f"{by_port[entry['port']]} and {entry['where']} both ask for port {entry['port']}; "
                "each upstream needs a port of its own (1-65535)"
            )
        if entry["name"] in by_name:
            raise LabforgeFilterError(
                f"{by_name[entry['name']]} and {entry['where']} are both the registry {entry['name']}; "
                "one cache per registry (set name to tell two apart)"
            )
        by_port[entry["port"]] = by_name[entry["name"]] = entry["where"]
    return entries


def registry_mirror_plan(upstreams: object, shorthand: object = None, settings: object = None) -> list[dict[str, Any]]:
    """The caches the role runs, one per upstream, checked before anything changes.

    ``upstreams`` is registry_mirror_upstreams (url, port, and optional name, username,
    password, prefetch); ``shorthand`` the single-upstream variables as one such mapping
    (url empty when unset); ``settings`` holds storage_dir, config_dir and listen_address.
    Each cache gets its unit, config file, storage directory, listen address, the URL the
    host itself reaches it at and the URLs of the manifests to prefetch through it.
    """
    settings = settings if isinstance(settings, Mapping) else {}
    storage_dir = settings.get("storage_dir", "/var/lib/docker-registry")
    if not isinstance(storage_dir, str) or not re.fullmatch(r"/.+", storage_dir):
        raise LabforgeFilterError(f"registry_mirror_storage_dir must be an absolute path; got {_json(storage_dir)}")
    listen = settings.get("listen_address", "0.0.0.0")
    try:
        address = ipaddress.ip_address(listen) if isinstance(listen, str) else None
    except ValueError:
        address = None
    if address is None:
        raise LabforgeFilterError(
            f"registry_mirror_listen_address must be an IPv4 or IPv6 address of this host (0.0.0.0 or :: for all); "
            f"got {_json(listen)}"
        )
    local = ("::1" if address.version == 6 else "127.0.0.1") if address.is_unspecified else str(address)
    config_dir = str(settings.get("config_dir", "/etc/docker/registry/mirrors")).rstrip("/")
    storage_dir = storage_dir.rstrip("/")
    plan = []
    for entry in _entries(upstreams, shorthand):
        port = entry["port"]
        storage = f"{storage_dir}/{entry['name']}"
        plan.append({
            **{key: value for key, value in entry.items() if key != "where"},
            "variable": entry["where"],
            "unit": UNIT.format(port=port),
            "config": f"{config_dir}/{port}.yml",
            "storage": storage,
            "blob_dir": f"{storage}/docker/registry/v2/blobs/sha256",
            "listen": f"{_bracketed(str(address))}:{port}",
            "local_url": f"http://{_bracketed(local)}:{port}",
            "prefetch_manifests": [
                "http://{}:{}/v2/{}/manifests/{}".format(_bracketed(local), port, *ref.rsplit(":", 1))
                for ref in entry["prefetch"]
            ],
        })
    return plan


def _config_text(cache: Mapping[str, Any], log_level: str, header: str) -> str:
    """docker-registry's configuration for one cache; every value is JSON, which YAML reads as is."""
    q = json.dumps
    lines = [
        *([header] if header else []),
        f"# A pull-through cache of {cache['url']} (labforge registry_mirror role): pull {cache['name']}/REPOSITORY",
        f"# as MIRROR:{cache['port']}/REPOSITORY.",
        "version: 0.1",
        "log:",
        f"  level: {q(log_level)}",
        "  fields:",
        "    service: registry",
        f"    upstream: {q(cache['name'])}",
        "storage:",
        "  cache:",
        "    blobdescriptor: inmemory",
        "  filesystem:",
        f"    rootdirectory: {q(cache['storage'])}",
        "http:",
        f"  addr: {q(cache['listen'])}",
        "  headers:",
        "    X-Content-Type-Options: [nosniff]",
        "health:",
        "  storagedriver:",
        "    enabled: true",
        "    interval: 10s",
        "    threshold: 3",
        "proxy:",
        f"  remoteurl: {q(cache['url'])}",
    ]
    if cache.get("username"):
        lines += [f"  username: {q(cache['username'])}", f"  password: {q(cache['password'])}"]
    return "\n".join(lines) + "\n"


def registry_mirror_files(caches: object, settings: object) -> dict[str, list[dict[str, Any]]]:
    """What the role writes for its caches, for the labforge_files module: the config directory,
    each cache's storage (owned by the service user) and config file (root:USER 0640; a secret
    file when it carries the upstream's password). Each config carries its unit as ``key``, so
    the module says which caches to restart. ``settings`` holds user, config_dir, storage_dir,
    log_level and the header to put atop each config."""
    if not isinstance(caches, list) or not isinstance(settings, Mapping):
        raise LabforgeFilterError(f"expected the caches (registry_mirror_plan) and settings, got {got(caches)}")
    user, header = str(settings["user"]), str(settings.get("header") or "")
    out: dict[str, list[dict[str, Any]]] = {
        "directories": [
            {"path": str(settings["config_dir"]), "owner": "root", "group": user, "mode": "0750"},
            {"path": str(settings["storage_dir"]), "owner": user, "group": user, "mode": "0750"},
        ],
        "files": [],
        "secret_files": [],
    }
    for cache in caches:
        out["directories"].append({"path": cache["storage"], "owner": user, "group": user, "mode": "0750"})
        entry = {"path": cache["config"], "content": _config_text(cache, str(settings.get("log_level", "info")), header),
                 "owner": "root", "group": user, "mode": "0640", "key": cache["unit"]}
        out["secret_files" if cache.get("password") else "files"].append(entry)
    return out


def registry_mirror_endpoints(upstreams: object, address: object) -> dict[str, str]:
    """``{registry name: address:port}`` of the caches registry_mirror_upstreams sets up on the
    mirror host reached at ``address``: what registry_mirror_image takes."""
    try:
        host = _bracketed(str(ipaddress.ip_address(address))) if isinstance(address, str) else None
    except ValueError:
        host = address if _HOST_NAME.fullmatch(address) else None
    if host is None:
        raise LabforgeFilterError(
            "the mirror's address must be a host name or an IP address, without a port "
            f"(mirror.lab.example, 10.0.0.5); got {show(address)}"
        )
    return {entry["name"]: f"{host}:{entry['port']}" for entry in _entries(upstreams)}


def registry_mirror_image(ref: object, mirrors: object) -> str:
    """``ref`` pulled through its registry's cache: the cache's endpoint in place of the
    registry when ``mirrors`` ({registry name: host:port}) has one, else ``ref`` unchanged."""
    if not isinstance(mirrors, Mapping):
        raise LabforgeFilterError(f"mirrors must be a mapping of registry names to mirror host:port, got {got(mirrors)}")
    for registry, endpoint in mirrors.items():
        if not _is_registry_name(registry):
            raise LabforgeFilterError(f"mirrors: key {show(registry)} must be {NAME_ACCEPTED}")
        if _endpoint(endpoint) is None:
            raise LabforgeFilterError(
                f"mirrors[{registry}] must be the mirror's host:port (mirror.lab.example:5001), got {show(endpoint)}"
            )
    image = parse_image_ref(ref)
    endpoint = mirrors.get(image.registry)
    if endpoint is None:
        return str(ref)
    return f"{endpoint}/{image.repository}{image.suffix}"


def registry_mirror_stale(unit_paths: object, plan: object, config_dir: object) -> list[dict[str, str]]:
    """The caches this host has enabled (``unit_paths``, the unit links found in a .wants
    directory) that ``plan`` no longer has: each one's unit and config file in ``config_dir``,
    for the role to stop, disable and remove."""
    if not isinstance(unit_paths, list) or not isinstance(plan, list):
        raise LabforgeFilterError(f"expected the unit links found and the plan, got {got(unit_paths)} and {got(plan)}")
    wanted = {cache["unit"] for cache in plan if isinstance(cache, Mapping)}
    stale = []
    for path in unit_paths:
        port = re.fullmatch(r"(?:.*/)?labforge-registry-mirror@([0-9]{1,5})\.service", str(path))
        if port is not None and UNIT.format(port=port[1]) not in wanted:
            stale.append({"unit": UNIT.format(port=port[1]), "config": f"{str(config_dir).rstrip('/')}/{port[1]}.yml"})
    return stale


def registry_mirror_units(names: object, state: object = None, enabled: object = None) -> list[dict[str, Any]]:
    """labforge_units' ``units`` for the unit ``names``: each with ``state`` and ``enabled`` when given."""
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise LabforgeFilterError(f"expected a list of unit names, got {got(names)}")
    extra = {key: value for key, value in (("state", state), ("enabled", enabled)) if value is not None}
    return [{"name": name, **extra} for name in names]


def registry_manifest_blobs(results: object) -> list[dict[str, str]]:
    """``[{base, repository, digest}]`` of every blob (config first, then layers) of the
    manifests in ``results``: mappings with the manifest's ``url``
    (``BASE/v2/REPOSITORY/manifests/REF``) and its ``json``, as the uri module returns them.
    Each blob once per registry and repository."""
    if not isinstance(results, (list, tuple)):
        raise LabforgeFilterError(f"expected a list of manifest results (url and json), got {got(results)}")
    blobs: list[dict[str, str]] = []
    for result in results:
        if not isinstance(result, Mapping) or not isinstance(result.get("url"), str):
            raise LabforgeFilterError(f"each manifest result needs a url, got {got(result)}")
        url, manifest = result["url"], result.get("json")
        match = _MANIFEST_URL.search(url.split("?", 1)[0])
        if match is None:
            raise LabforgeFilterError(f"{url!r} is not a manifest URL (.../v2/REPOSITORY/manifests/REFERENCE)")
        if not isinstance(manifest, Mapping) or not isinstance(manifest.get("layers"), list):
            kind = "a multi-platform index" if isinstance(manifest, Mapping) and "manifests" in manifest else "no image manifest"
            raise LabforgeFilterError(f"{url}: {kind}; give the manifest of one platform (with config and layers)")
        descriptors = [manifest.get("config"), *manifest["layers"]]
        for descriptor in descriptors:
            digest = descriptor.get("digest") if isinstance(descriptor, Mapping) else None
            if not isinstance(digest, str) or _DIGEST.match(digest) is None:
                raise LabforgeFilterError(f"{url}: a blob descriptor without a sha256 digest: {got(descriptor)}")
            blob = {"base": match["base"] or "", "repository": match["repository"], "digest": digest}
            if blob not in blobs:
                blobs.append(blob)
    return blobs


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
