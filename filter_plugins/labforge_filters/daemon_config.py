"""Docker daemon.json: layered merge, the merge over the host's own file, and keys that clash
with dockerd command-line flags."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeGuard

try:
    from .errors import LabforgeFilterError, got, show
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

# dockerd flags whose daemon.json key is not simply the long flag name: options that
# may be given several times take the plural in daemon.json.
FLAG_TO_KEY: dict[str, str] = {
    "add-runtime": "runtimes",
    "authorization-plugin": "authorization-plugins",
    "cdi-spec-dir": "cdi-spec-dirs",
    "default-address-pool": "default-address-pools",
    "default-ulimit": "default-ulimits",
    "dns-opt": "dns-opts",
    "exec-opt": "exec-opts",
    "feature": "features",
    "host": "hosts",
    "insecure-registry": "insecure-registries",
    "label": "labels",
    "log-opt": "log-opts",
    "node-generic-resource": "node-generic-resources",
    "registry-mirror": "registry-mirrors",
    "storage-opt": "storage-opts",
}
SHORT_FLAGS: dict[str, str] = {
    "b": "bridge",
    "D": "debug",
    "G": "group",
    "H": "host",
    "h": "help",
    "l": "log-level",
    "p": "pidfile",
    "s": "storage-driver",
    "v": "version",
}
BOOLEAN_SHORT_FLAGS = frozenset("Dhv")
NOT_IN_DAEMON_JSON = frozenset({"config-file", "help", "validate", "version"})

_LONG_FLAG = re.compile(r"--(?P<name>[A-Za-z0-9][A-Za-z0-9-]*)(?:=.*)?", re.DOTALL)


# ----------------------------------------------------------------------------- merge


def _same(a: object, b: object) -> bool:
    """JSON equality: like ``==`` but ``true`` is not ``1``, at any depth."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if _is_list(a) and _is_list(b):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if _is_list(a) or _is_list(b) or isinstance(a, Mapping) or isinstance(b, Mapping):
        return False
    return a == b


def _is_list(value: object) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    return isinstance(value, (list, tuple))


def _union(*lists: Iterable[Any]) -> list[Any]:
    result: list[Any] = []
    for items in lists:
        for item in items:
            if not any(_same(item, seen) for seen in result):
                result.append(_plain(item))
    return result


def _plain(value: Any) -> Any:
    """A deep copy made of plain dicts and lists (list items are kept as they are)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if _is_list(value):
        return [_plain(v) for v in value]
    return value


def _merge_into(result: dict[str, Any], layer: Mapping[Any, Any], where: str, path: str) -> dict[str, Any]:
    merged = dict(result)
    for key, value in layer.items():
        if not isinstance(key, str):
            raise LabforgeFilterError(
                f"{where}: key {show(key)} at {path or 'top level'} must be a string (daemon.json keys are strings)"
            )
        key_path = f"{path}.{key}" if path else key
        old = merged.get(key)
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping):
            merged[key] = _merge_into(old if isinstance(old, dict) else {}, value, where, key_path)
        elif _is_list(value):
            merged[key] = _union(old if isinstance(old, list) else [], value)
        else:
            merged[key] = value
    return merged


def _position(index: int) -> str:
    return "base (the filter input)" if index == 0 else f"layer {index} (argument {index + 1})"


def _reconcile_position(index: int) -> str:
    return f"layer {index + 1} (argument {index + 3})"


def _merge_layers(result: dict[str, Any], layers: Sequence[object], position: Callable[[int], str]) -> dict[str, Any]:
    for index, layer in enumerate(layers):
        where = position(index)
        if not isinstance(layer, Mapping):
            raise LabforgeFilterError(f"{where} must be a mapping (daemon.json settings), got {got(layer)}")
        result = _merge_into(result, layer, where, "")
    return result


def docker_daemon_merge(base: object, *layers: object) -> dict[str, Any]:
    """Deep-merge daemon.json mappings; see the plugin documentation for the rules.

    Later layers win for scalars, mappings merge recursively, lists become the union
    of all their items in first-seen order (duplicates dropped, items compared by JSON
    equality), and a null value deletes the key. Inputs are not modified.
    """
    return _merge_layers({}, (base, *layers), _position)


# ----------------------------------------------------------------------------- the host's file


def _holds(items: Sequence[Any], item: Any) -> bool:
    return any(_same(item, other) for other in items)


def _checked_copy(tree: Mapping[Any, Any], where: str, path: str) -> dict[str, Any]:
    """A plain copy of the host's settings, as they are (nulls and repeated list items too)."""
    for key, value in tree.items():
        if not isinstance(key, str):
            raise LabforgeFilterError(
                f"{where}: key {show(key)} at {path or 'top level'} must be a string (daemon.json keys are strings)"
            )
        if isinstance(value, Mapping):
            _checked_copy(value, where, f"{path}.{key}" if path else key)
    return _plain(tree)


def _prune(existing: Mapping[str, Any], previous: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``existing`` without what labforge wrote earlier (``previous``) and wants no more (``wanted``).

    Only labforge's own parts go: a mapping keeps the keys, a list the items, that the
    operator added to it; a mapping or list left empty goes as a whole.
    """
    result = dict(existing)
    for key, before in previous.items():
        if key not in result:
            continue
        current = result[key]
        if key in wanted:
            now = wanted[key]
            if isinstance(before, Mapping) and isinstance(now, Mapping) and isinstance(current, Mapping):
                result[key] = _prune(current, before, now)
            elif _is_list(before) and _is_list(now) and _is_list(current):
                result[key] = [item for item in current if not _holds(before, item) or _holds(now, item)]
            continue  # anything else the layers set again
        rest: Any = None
        if isinstance(before, Mapping) and isinstance(current, Mapping):
            rest = _prune(current, before, {})
        elif _is_list(before) and _is_list(current):
            rest = [item for item in current if not _holds(before, item)]
        if rest:
            result[key] = rest
        else:
            del result[key]
    return result


def docker_daemon_reconcile(existing: object, previous: object, *layers: object) -> dict[str, Any]:
    """The daemon.json to write over the host's file: its keys kept, the layers merged over it.

    ``existing`` is the file's settings, ``previous`` what labforge wanted the last time it
    wrote the file (empty when it never did). Keys labforge wrote earlier and no layer wants
    any more are taken out of the file first; everything else in it is the operator's and
    stays unless a layer sets it, or removes it with null.
    """
    if not isinstance(existing, Mapping):
        raise LabforgeFilterError(f"the host's daemon.json (the filter input) must be a mapping, got {got(existing)}")
    if not isinstance(previous, Mapping):
        raise LabforgeFilterError(
            f"previous (argument 2, what labforge wrote last) must be a mapping, got {got(previous)}"
        )
    wanted = _merge_layers({}, layers, _reconcile_position)
    before = _merge_into({}, previous, "previous (argument 2, what labforge wrote last)", "")
    base = _prune(_checked_copy(existing, "the host's daemon.json (the filter input)", ""), before, wanted)
    return _merge_layers(base, layers, _reconcile_position)


# ----------------------------------------------------------------------------- blame


def docker_daemon_blame(before: object, after: object, layers: object) -> list[str]:
    """The variables behind a change of daemon.json, one ``variable (key)`` per changed key.

    ``before`` and ``after`` are the file's settings before and after the change, ``layers``
    maps each variable's name to its settings, in merge order. A changed scalar is blamed on
    the last layer that sets it, a changed mapping or list on every layer that sets it (their
    parts are merged); a key that went because no layer sets it any more on the role's record.
    """
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        raise LabforgeFilterError(
            f"before and after must be mappings (daemon.json settings), got {got(before)} and {got(after)}"
        )
    if not isinstance(layers, Mapping):
        raise LabforgeFilterError(f"layers must map variable names to daemon.json settings, got {got(layers)}")
    blamed: list[str] = []
    for key in sorted(set(before) | set(after)):
        if key in before and key in after and _same(before[key], after[key]):
            continue
        setters = [name for name, layer in layers.items() if isinstance(layer, Mapping) and key in layer]
        value = after.get(key)
        if not setters:
            blamed.append(f"{key} (removed: no variable sets it any more)")
        elif value is None or isinstance(value, Mapping) or _is_list(value):
            blamed.extend(f"{name} ({key})" for name in setters)
        else:
            blamed.append(f"{setters[-1]} ({key})")
    return blamed


# ----------------------------------------------------------------------------- flags


def _tokens(flags: object) -> list[str]:
    if flags is None:
        return []
    if isinstance(flags, str):
        items: Sequence[object] = [flags]
    elif _is_list(flags):
        items = flags
    else:
        raise LabforgeFilterError(
            f"flags must be a dockerd command line (string) or a list of strings, got {got(flags)}"
        )
    tokens: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise LabforgeFilterError(f"flags[{index}] must be a string, got {got(item)}")
        try:
            tokens.extend(shlex.split(str(item)))
        except ValueError as exc:
            raise LabforgeFilterError(f"cannot split dockerd flags {show(item)} like a shell would: {exc}") from exc
    return tokens


def _short_flag_names(token: str) -> list[str]:
    """``-DH`` is ``-D -H``; a value-taking letter ends the group (``-Hfd://``, ``-l=debug``)."""
    names: list[str] = []
    letters = token[1:]
    for index, letter in enumerate(letters):
        if letter not in SHORT_FLAGS:
            known = " ".join(f"-{c}" for c in sorted(SHORT_FLAGS, key=str.lower))
            raise LabforgeFilterError(f"unknown dockerd short flag -{letter} in {token!r}; known: {known}")
        names.append(SHORT_FLAGS[letter])
        rest = letters[index + 1 :]
        if letter not in BOOLEAN_SHORT_FLAGS or rest.startswith("="):
            break
    return names


def dockerd_flag_names(flags: object) -> list[str]:
    """Long names of the dockerd flags set in ``flags`` (values and the program name skipped)."""
    names: list[str] = []
    for token in _tokens(flags):
        if token == "--":
            break
        if token.startswith("--"):
            match = _LONG_FLAG.fullmatch(token)
            if match is None:
                raise LabforgeFilterError(f"malformed dockerd flag {token!r}; expected --name or --name=value")
            names.append(match["name"])
        elif len(token) > 1 and token[0] == "-" and token[1].isalpha():
            names.extend(_short_flag_names(token))
    return names


def daemon_json_key(flag: str) -> str:
    """The daemon.json key a dockerd long flag sets (``--foo-bar`` sets ``foo-bar``)."""
    return FLAG_TO_KEY.get(flag, flag)


def docker_daemon_flag_clashes(config: object, flags: object) -> list[str]:
    """Sorted daemon.json keys of ``config`` that ``flags`` also set (dockerd refuses to start then)."""
    if not isinstance(config, Mapping):
        raise LabforgeFilterError(f"config must be a mapping (daemon.json settings), got {got(config)}")
    flag_keys = {daemon_json_key(name) for name in dockerd_flag_names(flags) if name not in NOT_IN_DAEMON_JSON}
    return sorted(key for key in config if key in flag_keys)


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
