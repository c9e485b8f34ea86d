"""systemd unit-name escaping (``systemd-escape``) and ``Environment=`` quoting.

Escaping, as systemd 252 ``systemd-escape [--path]`` does it: "/" becomes "-";
ASCII letters, digits, ":", "_" and "." stay, except a "." at the very start; every
other byte of the UTF-8 text becomes ``\\xNN`` (lowercase hex). ``--path`` first
simplifies the path (drops empty and "." components and the trailing "/"), refuses
".." components, turns the root into "-" and strips the leading "/".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

try:
    from .errors import LabforgeFilterError, a_kind, got, show
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

_KEPT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEX = frozenset("0123456789abcdefABCDEF")


def _utf8(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise LabforgeFilterError(f"{what} must be a string, got {got(value)}")
    if "\0" in value:
        raise LabforgeFilterError(f"{what} {show(value)} contains a NUL character, which systemd cannot carry")
    try:
        return str(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LabforgeFilterError(f"{what} {show(value)} is not valid Unicode text: {exc}") from exc


def _escape_bytes(data: bytes) -> str:
    out: list[str] = []
    for index, byte in enumerate(data):
        if byte == ord("/"):
            out.append("-")
        elif byte in _KEPT and not (index == 0 and byte == ord(".")):
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)


def _simplify_path(path: str) -> str:
    """``path_simplify`` + ``path_is_normalized`` as systemd-escape --path applies them."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise LabforgeFilterError(f"path {path!r} contains a '..' component; systemd-escape --path refuses it")
    if path.startswith("/"):
        return "/" + "/".join(parts)
    if not parts:
        raise LabforgeFilterError(f"path {path!r} names no file; give an absolute path such as '/srv/data'")
    return "/".join(parts)


def systemd_escape(value: object, path: bool = False) -> str:
    """What ``systemd-escape VALUE`` (``path=True``: ``systemd-escape --path VALUE``) prints.

    Unlike systemd-escape, which prints "-" with a warning, an empty path is an
    error: "-" names the root directory.
    """
    data = _utf8(value, "path" if path else "value")
    if not isinstance(path, bool):
        raise LabforgeFilterError(f"path must be true or false, got {show(path)}")
    if not path:
        return _escape_bytes(data)
    if not data:
        raise LabforgeFilterError("path '' is empty; give an absolute path such as '/srv/data' ('-' would mean '/')")
    simplified = _simplify_path(str(value))
    if simplified == "/":
        return "-"
    return _escape_bytes(simplified.lstrip("/").encode("utf-8"))


def _unescape_bytes(value: str) -> bytes:
    out = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        if char == "-":
            out += b"/"
        elif char == "\\":
            code = value[index + 1 : index + 4]
            if len(code) != 3 or code[0] != "x" or not set(code[1:]) <= _HEX:
                raise LabforgeFilterError(
                    f"escaped name {value!r} has a bad escape at offset {index}; "
                    "only \\xNN (two hex digits) is accepted"
                )
            out.append(int(code[1:], 16))
            index += 3
        else:
            out += char.encode("utf-8")
        index += 1
    if 0 in out:
        raise LabforgeFilterError(f"escaped name {value!r} decodes to a NUL character")
    return bytes(out)


def _check_normalized(name: str, path: str) -> None:
    parts = path.split("/")[1:]
    if path != "/" and any(part in ("", ".", "..") for part in parts):
        raise LabforgeFilterError(
            f"escaped path {name!r} decodes to {path!r}, which is not a normalized absolute path "
            "(no empty, '.' or '..' components, no trailing '/')"
        )


def systemd_unescape(value: object, path: bool = False) -> str:
    """What ``systemd-escape --unescape [--path] VALUE`` prints (the inverse of :func:`systemd_escape`)."""
    if not isinstance(value, str):
        raise LabforgeFilterError(f"value must be a string, got {got(value)}")
    if not isinstance(path, bool):
        raise LabforgeFilterError(f"path must be true or false, got {show(path)}")
    text = str(value)
    if path and text == "-":
        return "/"
    if path and not text:
        raise LabforgeFilterError("escaped path '' is empty; the root directory is '-'")
    try:
        result = _unescape_bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LabforgeFilterError(f"escaped name {text!r} does not decode to UTF-8 text: {exc}") from exc
    if path:
        result = "/" + result
        _check_normalized(text, result)
    return result


def _env_text(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise LabforgeFilterError(f"value of {name} must be a string or a number, got {a_kind(value)}")
    text = str(value)
    for offset, char in enumerate(text):
        code = ord(char)
        if (code < 0x20 and char != "\t") or code == 0x7F:
            # The value may be a secret: name the variable and the character, never the value.
            raise LabforgeFilterError(
                f"value of {name} contains control character U+{code:04X} at offset {offset}; "
                "newlines, NUL and other control characters (tab excepted) cannot go in Environment="
            )
        if 0xD800 <= code <= 0xDFFF:
            raise LabforgeFilterError(
                f"value of {name} contains a lone surrogate at offset {offset}; it is not valid UTF-8"
            )
    return text


def systemd_env_quote(name: object, value: object) -> str:
    """``"NAME=value"`` for a unit's ``Environment=`` line.

    Inside the quotes ``\\`` and ``"`` are backslash-escaped and ``%`` is doubled, since
    systemd expands specifiers and then C-unescapes and unquotes the assignment.
    """
    if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
        raise LabforgeFilterError(f"environment variable name {show(name)} must match [A-Za-z_][A-Za-z0-9_]*")
    text = _env_text(str(name), value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{name}={escaped}"'


UNIT_STATES = ("started", "stopped", "restarted")


def systemd_unit_states(names: object, state: object, enabled: object = None) -> list[dict[str, Any]]:
    """The same wanted ``state`` (and ``enabled``, unless None) for each unit in ``names``, as the
    labforge_units module takes them."""
    if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
        raise LabforgeFilterError(f"expected a list of unit names, got {got(names)}")
    if state not in UNIT_STATES:
        raise LabforgeFilterError(f"unit state must be one of {', '.join(UNIT_STATES)}, got {got(state)}")
    if enabled is not None and not isinstance(enabled, bool):
        raise LabforgeFilterError(f"enabled must be true, false or left out, got {got(enabled)}")
    extra = {} if enabled is None else {"enabled": enabled}
    return [{"name": name, "state": state, **extra} for name in names]


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
