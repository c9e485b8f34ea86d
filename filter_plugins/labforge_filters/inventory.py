"""Inventory checks: misspelled labforge variables and lists given as something else (before
any role), and listed users that a host does not have (in each role that puts users in a group)."""

from __future__ import annotations

import difflib
import glob
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, got
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass


def labforge_unknown_vars(names: object, known: object, prefixes: object) -> list[dict[str, str]]:
    """Variables that carry a labforge role's prefix but that no role knows.

    ``names`` are a host's variable names, ``known`` every input the roles document in
    their argument specs, ``prefixes`` the roles' prefixes (``docker_engine_``...).
    Internal names (``__role_...``) are not checked. Each finding has the name and the
    closest known name, if one is close, as ``suggestion``, and both in one phrase as ``text``.
    """
    for value, what in ((names, "names"), (known, "known"), (prefixes, "prefixes")):
        if not isinstance(value, Iterable) or isinstance(value, (str, bytes)):
            raise LabforgeFilterError(f"{what} must be a list of variable names, got {got(value)}")
    known_set = {str(k) for k in known}  # type: ignore[union-attr]
    prefix_list = tuple(str(p) for p in prefixes)  # type: ignore[union-attr]
    findings = []
    for name in sorted({str(n) for n in names}):  # type: ignore[union-attr]
        if name.startswith("_") or not name.startswith(prefix_list) or name in known_set:
            continue
        close = difflib.get_close_matches(name, sorted(known_set), n=1, cutoff=0.75)
        suggestion = close[0] if close else ""
        text = f"{name} (did you mean {suggestion}?)" if suggestion else name
        findings.append({"name": name, "suggestion": suggestion, "text": text})
    return findings


def labforge_not_lists(options: object, values: object) -> list[str]:
    """What is wrong with each list variable (``options``: the roles' argument spec options) that
    ``values`` (a host's variables) sets to a string or a mapping: the argument spec would turn
    ``teacher`` into ``[teacher]`` for its own check only, and a role would then loop over its
    letters. One message a variable, naming it, what was given and the right form."""
    if not isinstance(options, Mapping) or not isinstance(values, Mapping):
        raise LabforgeFilterError(f"expected the argument spec options and a host's variables, got {got(options)}")
    wrong = []
    for name in sorted(options):
        spec = options[name]
        if not isinstance(spec, Mapping) or spec.get("type") != "list" or name not in values:
            continue
        value = values[name]
        if not isinstance(value, (str, Mapping)):
            continue
        if isinstance(value, Mapping):  # its keys only: a field of it may be a secret
            keys = ", ".join(sorted(str(key) for key in value))
            given, example = f"a mapping with the keys {keys}", "[{...}]"
        elif _holds_a_secret(spec):
            given, example = "a string", "[...]"
        else:
            given, example = f"a string {json.dumps(value)}", json.dumps([value])
        wrong.append(f"{name} must be a list, such as {example} (got {given})")
    return wrong


def _holds_a_secret(spec: Mapping) -> bool:
    return bool(spec.get("no_log")) or any(
        _holds_a_secret(sub) for sub in (spec.get("options") or {}).values() if isinstance(sub, Mapping))


def labforge_role_specs(roles_dir: object) -> list[str]:
    """The argument spec files (meta/argument_specs.yml) of the roles in ``roles_dir``, sorted:
    where the preflight learns every labforge variable. Read on the controller, so the preflight
    needs no module round trip for it."""
    if not isinstance(roles_dir, str) or not os.path.isdir(roles_dir):
        raise LabforgeFilterError(f"expected the roles directory, got {got(roles_dir)}")
    return sorted(glob.glob(os.path.join(glob.escape(roles_dir), "*", "meta", "argument_specs.yml")))


def labforge_users_exist(users: object, passwd: object, variable: object, host: object = "this host") -> list[str]:
    """``users``, when every one of them is in ``passwd`` (the host's passwd database as
    ansible.builtin.getent reads it); else an error naming ``variable``, the missing users and
    ``host``. One check for every role that adds listed users to a group."""
    if not isinstance(users, list) or not all(isinstance(user, str) for user in users):
        raise LabforgeFilterError(f"{variable} must be a list of user names, got {got(users)}")
    known = passwd if isinstance(passwd, (dict, list)) else {}
    missing = [user for user in users if user not in known]
    if missing:
        verb = "does" if len(missing) == 1 else "do"
        raise LabforgeFilterError(
            f"{variable}: {', '.join(missing)} {verb} not exist on {host}; list existing users only"
        )
    return users


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
