"""The error every labforge filter raises for bad input, and message helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

_MAX_SHOWN = 120
# Keys whose values are never shown: in a mapping echoed by an error, each becomes MASK.
SECRET_KEYS = frozenset({
    "token", "password", "password_hash", "hashed_password", "secret", "secrets", "passphrase",
    "private_key", "key", "api_key", "auth", "credentials", "cookie_secret", "bind_password",
})
MASK = "<hidden>"


class LabforgeFilterError(ValueError):
    """Bad input to a labforge filter.

    The message names the offending value (never a secret) and what would be
    accepted. The Ansible shims turn it into ``AnsibleFilterError``.
    """


def kind(value: object) -> str:
    """A YAML/Jinja-flavoured name for the type of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def a_kind(value: object) -> str:
    """:func:`kind` with its article: "an integer", "a string", "null"."""
    name = kind(value)
    if name == "null":
        return name
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def masked(value: object) -> object:
    """``value`` with the values of secret-bearing keys (:data:`SECRET_KEYS`) replaced by
    :data:`MASK`, in mappings at any depth."""
    if isinstance(value, Mapping):
        return {k: MASK if str(k).lower() in SECRET_KEYS else masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(item) for item in value]
    return value


def show(value: object) -> str:
    """``repr`` of a value for an error message, shortened, with its kind when not obvious.
    Secret-bearing keys of a mapping show as :data:`MASK`."""
    if value is None:
        return "null"
    if isinstance(value, str):
        text = repr(str(value))
    elif isinstance(value, Mapping):
        text = repr(masked(value))
    elif isinstance(value, (list, tuple)):
        text = repr(masked(list(value)))
    else:
        text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    if isinstance(value, (str, Mapping, list, tuple)):
        return text
    return f"{text} ({kind(value)})"


def got(value: object) -> str:
    """The value for a "got ..." clause: "null", "a string 'x'", "a list [1]", "5 (integer)"."""
    if value is None or not isinstance(value, (str, Mapping, list, tuple)):
        return show(value)
    return f"{a_kind(value)} {show(value)}"


def for_ansible(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter so that ``LabforgeFilterError`` surfaces as ``AnsibleFilterError``.

    Ansible is imported only when a wrapped filter fails, so the package stays
    importable (and testable) without Ansible.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LabforgeFilterError as exc:
            from ansible.errors import AnsibleFilterError

            raise AnsibleFilterError(f"{name}: {exc}") from exc

    return wrapper


def ansible_filter_map(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """The ``FilterModule.filters()`` map for a shim: every filter wrapped by :func:`for_ansible`."""
    return {name: for_ansible(name, func) for name, func in filters.items()}


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
