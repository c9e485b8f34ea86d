from __future__ import annotations

import pytest

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.tls import tls_names_uncovered

SANS = ["DNS:lab.example.org", "DNS:*.course.example.org", "IP:192.0.2.7", "IP:2001:db8::1"]


@pytest.mark.parametrize(
    ("name", "covered"),
    [
        ("lab.example.org", True),
        ("LAB.Example.org.", True),
        ("other.example.org", False),
        ("example.org", False),
        ("ds101.course.example.org", True),
        ("course.example.org", False),
        ("a.ds101.course.example.org", False),
        ("192.0.2.7", True),
        ("192.0.2.8", False),
        ("2001:db8:0::1", True),
        ("[2001:db8::1]", True),
        # An address is never covered by a DNS entry that spells it.
        ("127.0.0.1", False),
    ],
)
def test_names(name: str, covered: bool) -> None:
    assert tls_names_uncovered(SANS + ["DNS:127.0.0.1"], [name]) == ([] if covered else [name])


def test_keeps_order_of_uncovered_names() -> None:
    assert tls_names_uncovered(SANS, ["b.test", "lab.example.org", "a.test"]) == ["b.test", "a.test"]


def test_no_sans_covers_nothing() -> None:
    assert tls_names_uncovered([], ["lab.example.org"]) == ["lab.example.org"]


@pytest.mark.parametrize(("sans", "names"), [("DNS:a", ["a"]), (SANS, "lab.example.org"), (SANS, [1])])
def test_bad_input(sans: object, names: object) -> None:
    with pytest.raises(LabforgeFilterError, match="must be a list of strings"):
        tls_names_uncovered(sans, names)
