from __future__ import annotations

import base64
import re

import argon2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jupyter_server.auth.security import passwd, passwd_check

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.password import (
    jupyter_password_check,
    jupyter_password_hash,
    jupyter_password_is_hashed,
)

HASH_FORMAT = re.compile(r"argon2:\$argon2id\$v=19\$m=10240,t=10,p=8\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")
# The example in jupyter_server's own passwd_check docstring.
LEGACY_SHA1 = "sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a"
SALT = "labforge-host-1"


@pytest.fixture(scope="module")
def fixed_hash() -> str:
    return jupyter_password_hash("correct horse", SALT)


@pytest.fixture(scope="module")
def jupyter_hash() -> str:
    """A hash of "pw" made by jupyter_server itself."""
    return str(passwd("pw"))


def test_hash_has_jupyter_format_and_verifies_with_jupyter_server(fixed_hash: str) -> None:
    assert HASH_FORMAT.fullmatch(fixed_hash)
    assert passwd_check(fixed_hash, "correct horse") is True
    assert passwd_check(fixed_hash, "wrong horse") is False


def test_hash_uses_the_parameters_of_jupyter_server_passwd(jupyter_hash: str) -> None:
    ours = argon2.extract_parameters(jupyter_password_hash("pw")[len("argon2:") :])
    theirs = argon2.extract_parameters(jupyter_hash[len("argon2:") :])
    assert ours == theirs


def test_salted_hash_is_deterministic_and_embeds_the_salt(fixed_hash: str) -> None:
    assert jupyter_password_hash("correct horse", SALT) == fixed_hash
    salt_b64 = base64.b64encode(SALT.encode()).decode().rstrip("=")
    assert fixed_hash.split("$")[4] == salt_b64
    assert jupyter_password_hash("correct horse", SALT + "x") != fixed_hash


def test_unsalted_hashes_differ() -> None:
    first, second = jupyter_password_hash("pw"), jupyter_password_hash("pw")
    assert first != second
    assert HASH_FORMAT.fullmatch(first) and HASH_FORMAT.fullmatch(second)


@pytest.mark.parametrize("password", ["", None, 123, ["pw"], b"pw", True])
def test_hash_rejects_empty_and_non_string_passwords(password: object) -> None:
    with pytest.raises(LabforgeFilterError, match="password must be a"):
        jupyter_password_hash(password)


@pytest.mark.parametrize("salt", ["short", "1234567", "", "\u00e9\u00e9\u00e9"])
def test_hash_rejects_salts_under_8_bytes(salt: str) -> None:
    with pytest.raises(LabforgeFilterError, match="at least 8 bytes") as caught:
        jupyter_password_hash("s3cr3t-value", salt)
    assert repr(salt) in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_salt_counts_utf8_bytes() -> None:
    salt = "\u00e9\u00e9\u00e9\u00e9"  # 4 characters, 8 bytes
    assert jupyter_password_hash("pw", salt).split("$")[4] == base64.b64encode(salt.encode()).decode().rstrip("=")


@pytest.mark.parametrize("salt", [12345678, b"bytes-salt", ["a" * 8], True])
def test_hash_rejects_non_string_salts(salt: object) -> None:
    with pytest.raises(LabforgeFilterError, match="salt must be a string"):
        jupyter_password_hash("pw", salt)


def test_check_accepts_hashes_made_by_jupyter_server(jupyter_hash: str) -> None:
    assert jupyter_password_check(jupyter_hash, "pw") is True
    assert jupyter_password_check(jupyter_hash, "PW") is False


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
def test_check_and_is_hashed_accept_legacy_hashes(algorithm: str) -> None:
    hashed = passwd("legacy pw", algorithm=algorithm)
    assert jupyter_password_check(hashed, "legacy pw") is True
    assert jupyter_password_check(hashed, "other") is False
    assert jupyter_password_is_hashed(hashed) is True


def test_check_legacy_vector_from_jupyter_docs() -> None:
    assert jupyter_password_check(LEGACY_SHA1, "mypassword") is True
    assert jupyter_password_check(LEGACY_SHA1, "mypassword!") is False


@pytest.mark.parametrize(
    "hashed",
    ["", "plain text", "argon2:", "argon2:$argon2id$garbage", "sha1::abc", "nope:salt:abcd", "shake_128:s:00"],
)
def test_check_is_false_for_strings_that_are_no_hash(hashed: str) -> None:
    assert jupyter_password_check(hashed, "pw") is False


@pytest.mark.parametrize(("hashed", "password"), [(None, "pw"), (5, "pw"), ("sha1:a:b", None), ("sha1:a:b", 5)])
def test_check_rejects_non_strings(hashed: object, password: object) -> None:
    with pytest.raises(LabforgeFilterError, match="must be a string"):
        jupyter_password_check(hashed, password)


def test_is_hashed_accepts_argon2_hashes(fixed_hash: str, jupyter_hash: str) -> None:
    assert jupyter_password_is_hashed(fixed_hash) is True
    assert jupyter_password_is_hashed(jupyter_hash) is True
    assert jupyter_password_is_hashed(LEGACY_SHA1) is True


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        ["argon2:..."],
        "",
        "hunter2",
        "argon2:",
        "argon2:$argon2id$v=19$m=10240,t=10,p=8$",
        "argon2:$argon2id$v=19$m=10240,t=10,p=8$c2FsdHNhbHQ$not base64!",
        "$argon2id$v=19$m=10240,t=10,p=8$c2FsdHNhbHQ$WkG76aP",  # no "argon2:" prefix
        "sha1:0e112c3ddfce:a68df677",  # digest too short
        "sha1:0e112c3ddfce:A68DF677475C2B47B6E86D0467EEC97AC5F4B85A",  # hexdigest is lowercase
        "sha1::a68df677475c2b47b6e86d0467eec97ac5f4b85a",  # no salt
        "rot13:salt:a68df677475c2b47b6e86d0467eec97ac5f4b85a",
    ],
)
def test_is_hashed_rejects_other_values(value: object) -> None:
    assert jupyter_password_is_hashed(value) is False


@settings(max_examples=2)
@given(
    password=st.text(min_size=1, max_size=40),
    salt=st.text(min_size=8, max_size=24),
)
def test_property_salted_hash_verifies_with_jupyter_server(password: str, salt: str) -> None:
    hashed = jupyter_password_hash(password, salt)
    assert HASH_FORMAT.fullmatch(hashed)
    assert jupyter_password_is_hashed(hashed)
    assert passwd_check(hashed, password)
