"""Jupyter Server password hashes, as ``jupyter_server.auth.security.passwd`` makes them.

Error messages here never contain the password, only its kind or length.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

try:
    from .errors import LabforgeFilterError, a_kind
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

# jupyter_server.auth.security.passwd(algorithm="argon2") uses these; argon2-cffi's
# defaults fill in the rest (argon2id, 16 random salt bytes, 32-byte hash).
ARGON2_MEMORY_COST = 10240
ARGON2_TIME_COST = 10
ARGON2_PARALLELISM = 8
MIN_SALT_BYTES = 8  # the Argon2 specification's minimum salt length

_ARGON2_HASH = re.compile(
    r"argon2:\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+" r"\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}"
)
_LEGACY_HASH = re.compile(r"(?P<algorithm>[a-z0-9_]+):(?P<salt>[^:]+):(?P<digest>[0-9a-f]+)")
# Legacy notebook hashes were "sha1:<salt>:<hexdigest>"; jupyter_server's passwd_check
# accepts any hashlib algorithm, so the fixed-length guaranteed ones are accepted too.
LEGACY_ALGORITHMS = frozenset(a for a in hashlib.algorithms_guaranteed if not a.startswith("shake_"))


def _argon2() -> ModuleType:
    try:
        import argon2
    except ImportError as exc:
        raise LabforgeFilterError(
            "the Python package argon2-cffi (>= 23.1) is required on the Ansible controller "
            "to hash Jupyter passwords; install it next to ansible-core"
        ) from exc
    return argon2


def _require_str(value: object, what: str, *, allow_empty: bool) -> str:
    if not isinstance(value, str):
        raise LabforgeFilterError(f"{what} must be a string, got {a_kind(value)}")
    if not allow_empty and not value:
        raise LabforgeFilterError(f"{what} must be a non-empty string, got an empty string")
    return str(value)


def _salt_bytes(salt: object) -> bytes:
    if not isinstance(salt, str):
        raise LabforgeFilterError(
            f"salt must be a string of at least {MIN_SALT_BYTES} bytes (UTF-8) or null "
            f"for a random salt, got {a_kind(salt)}"
        )
    data = str(salt).encode("utf-8")
    if len(data) < MIN_SALT_BYTES:
        raise LabforgeFilterError(
            f"salt {str(salt)!r} is {len(data)} bytes long; accepted: a string of at least "
            f"{MIN_SALT_BYTES} bytes (UTF-8), or null for a random salt"
        )
    return data


def jupyter_password_hash(password: object, salt: object = None) -> str:
    """``argon2:$argon2id$v=19$m=10240,t=10,p=8$<salt>$<hash>``.

    With ``salt`` (a string, its UTF-8 bytes used as the Argon2 salt) the result is
    deterministic, so a role that re-hashes on every run stays idempotent.
    """
    text = _require_str(password, "password", allow_empty=False)
    salt_bytes = None if salt is None else _salt_bytes(salt)
    argon2 = _argon2()
    hasher = argon2.PasswordHasher(
        memory_cost=ARGON2_MEMORY_COST,
        time_cost=ARGON2_TIME_COST,
        parallelism=ARGON2_PARALLELISM,
    )
    return "argon2:" + str(hasher.hash(text, salt=salt_bytes))


def _check_argon2(encoded: str, password: str) -> bool:
    argon2 = _argon2()
    try:
        return bool(argon2.PasswordHasher().verify(encoded, password))
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def _check_legacy(hashed: str, password: str) -> bool:
    match = _LEGACY_HASH.fullmatch(hashed)
    if match is None or match["algorithm"] not in LEGACY_ALGORITHMS:
        return False
    if not match["salt"].isascii():
        return False
    digest = hashlib.new(match["algorithm"])
    digest.update(password.encode("utf-8") + match["salt"].encode("ascii"))
    return hmac.compare_digest(digest.hexdigest(), match["digest"])


def jupyter_password_check(hashed: object, password: object) -> bool:
    """Whether ``password`` matches ``hashed`` (argon2 or legacy ``algorithm:salt:hexdigest``).

    A string that is no recognised hash simply does not match.
    """
    hashed_text = _require_str(hashed, "hashed password", allow_empty=True)
    text = _require_str(password, "password", allow_empty=True)
    if hashed_text.startswith("argon2:"):
        return _check_argon2(hashed_text[len("argon2:") :], text)
    return _check_legacy(hashed_text, text)


def jupyter_password_is_hashed(value: object) -> bool:
    """True for strings in a form jupyter_server accepts as an already hashed password."""
    if not isinstance(value, str):
        return False
    if _ARGON2_HASH.fullmatch(value):
        return True
    match = _LEGACY_HASH.fullmatch(value)
    if match is None or match["algorithm"] not in LEGACY_ALGORITHMS:
        return False
    return len(match["digest"]) == 2 * hashlib.new(match["algorithm"]).digest_size


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
