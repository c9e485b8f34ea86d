from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.sizes import size_bytes, size_valid

KIB, MIB, GIB, TIB, PIB = 1024, 1024**2, 1024**3, 1024**4, 1024**5


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, 0),
        (1073741824, GIB),
        ("0", 0),
        ("100", 100),
        ("100b", 100),
        ("100B", 100),
        ("1 ", 1),  # go-units accepts the separator space even with no unit
        ("32k", 32 * KIB),
        ("32K", 32 * KIB),
        ("32kb", 32 * KIB),
        ("32Ki", 32 * KIB),
        ("32KiB", 32 * KIB),
        ("32kIb", 32 * KIB),
        ("512m", 512 * MIB),
        ("512 MB", 512 * MIB),
        ("512 mib", 512 * MIB),
        ("4g", 4 * GIB),
        ("2GiB", 2 * GIB),
        ("1.5g", GIB + GIB // 2),
        ("0.5k", 512),
        ("0.1k", 102),  # 102.4 truncated, as Docker does
        ("1.5", 1),
        ("3t", 3 * TIB),
        ("2p", 2 * PIB),
        ("007m", 7 * MIB),
        ("8191p", 8191 * PIB),
    ],
)
def test_valid_sizes(size: object, expected: int) -> None:
    assert size_bytes(size) == expected
    assert size_valid(size) is True


@pytest.mark.parametrize(
    "size",
    [
        "12XB",
        "12x",
        "",
        " ",
        "-1",
        "-1m",
        "+1m",
        " 1g",
        "1  g",
        "1\tg",
        "1g ",
        "g",
        "m512",
        ".5g",
        "1.g",
        "1.5.5g",
        "1e3",
        "0x10",
        "1,5g",
        "1i",
        "1ib",
        "1bi",
        "1kbb",
        "1kbi",
        "1kib2",
        "1.5gigabytes",
        "inf",
        "nan",
        "1_000",
        "8192p",  # 2**63 bytes: more than Docker's int64
        "9" * 400,
    ],
)
def test_invalid_strings(size: str) -> None:
    assert size_valid(size) is False
    with pytest.raises(LabforgeFilterError) as caught:
        size_bytes(size)
    assert repr(size)[:60].rstrip("'") in str(caught.value)


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (True, r"True \(boolean\)"),
        (False, r"False \(boolean\)"),
        (1.5, r"1\.5 \(float\)"),
        (2.0, r"2\.0 \(float\)"),
        (None, "null"),
        ([1], r"\[1\]"),
        ({"size": 1}, r"\{'size': 1\}"),
    ],
)
def test_invalid_types(size: object, shown: str) -> None:
    assert size_valid(size) is False
    with pytest.raises(
        LabforgeFilterError, match=f"^size {shown} has the wrong type; accepted: a non-negative integer"
    ):
        size_bytes(size)


@pytest.mark.parametrize("size", [-1, 2**63])
def test_integers_out_of_range(size: int) -> None:
    with pytest.raises(LabforgeFilterError, match=f"size {size} is out of range"):
        size_bytes(size)


def test_error_names_value_and_accepted_forms() -> None:
    with pytest.raises(LabforgeFilterError, match=r"invalid size '12XB'; accepted: .*'512m'.*1k = 1024"):
        size_bytes("12XB")


UNITS = {"": 1, "k": KIB, "m": MIB, "g": GIB, "t": TIB, "p": PIB}


@given(
    st.integers(0, 2**40),
    st.sampled_from(sorted(UNITS)),
    st.sampled_from(["", "i", "b", "ib"]),
    st.booleans(),
    st.booleans(),
)
def test_property_integer_with_unit(number: int, unit: str, suffix: str, upper: bool, space: bool) -> None:
    text = f"{number}{' ' if space else ''}{unit}{suffix if unit else ('b' if suffix else '')}"
    text = text.upper() if upper else text
    expected = number * UNITS[unit]
    if expected < 2**53:  # exact in float64, like Docker's arithmetic
        assert size_bytes(text) == expected


@given(st.integers(0, 10**6), st.integers(0, 999), st.sampled_from(sorted(UNITS)))
def test_property_fractions_truncate_like_float64(whole: int, fraction: int, unit: str) -> None:
    text = f"{whole}.{fraction:03d}{unit}"
    product = float(f"{whole}.{fraction:03d}") * UNITS[unit]
    if product < 2**63:
        assert size_bytes(text) == int(product)
    else:
        assert not size_valid(text)


@given(st.text(max_size=12))
def test_property_valid_agrees_with_bytes(text: str) -> None:
    try:
        value = size_bytes(text)
    except LabforgeFilterError:
        assert not size_valid(text)
    else:
        assert size_valid(text)
        assert 0 <= value < 2**63
