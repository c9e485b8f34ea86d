from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.image_ref import (
    docker_image_normalize,
    docker_image_ref,
    parse_image_ref,
)

SHA = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("ref", "registry", "repository", "tag", "digest", "name", "familiar"),
    [
        ("ubuntu", "docker.io", "library/ubuntu", None, None, "docker.io/library/ubuntu:latest", "ubuntu:latest"),
        (
            "ubuntu:24.04",
            "docker.io",
            "library/ubuntu",
            "24.04",
            None,
            "docker.io/library/ubuntu:24.04",
            "ubuntu:24.04",
        ),
        (
            "docker.io/ubuntu",
            "docker.io",
            "library/ubuntu",
            None,
            None,
            "docker.io/library/ubuntu:latest",
            "ubuntu:latest",
        ),
        (
            "index.docker.io/library/ubuntu:x",
            "docker.io",
            "library/ubuntu",
            "x",
            None,
            "docker.io/library/ubuntu:x",
            "ubuntu:x",
        ),
        (
            "jupyter/base-notebook:2024-05-06",
            "docker.io",
            "jupyter/base-notebook",
            "2024-05-06",
            None,
            "docker.io/jupyter/base-notebook:2024-05-06",
            "jupyter/base-notebook:2024-05-06",
        ),
        (
            "quay.io/jupyter/scipy-notebook",
            "quay.io",
            "jupyter/scipy-notebook",
            None,
            None,
            "quay.io/jupyter/scipy-notebook:latest",
            "quay.io/jupyter/scipy-notebook:latest",
        ),
        (
            "127.0.0.1:5000/labforge/jupyterlab:4",
            "127.0.0.1:5000",
            "labforge/jupyterlab",
            "4",
            None,
            "127.0.0.1:5000/labforge/jupyterlab:4",
            "127.0.0.1:5000/labforge/jupyterlab:4",
        ),
        ("localhost/app", "localhost", "app", None, None, "localhost/app:latest", "localhost/app:latest"),
        (
            "localhost:5000/app",
            "localhost:5000",
            "app",
            None,
            None,
            "localhost:5000/app:latest",
            "localhost:5000/app:latest",
        ),
        ("[::1]:5000/app:v1", "[::1]:5000", "app", "v1", None, "[::1]:5000/app:v1", "[::1]:5000/app:v1"),
        (f"ubuntu@{SHA}", "docker.io", "library/ubuntu", None, SHA, f"docker.io/library/ubuntu@{SHA}", f"ubuntu@{SHA}"),
        (
            f"ghcr.io/a/b:1.0@{SHA}",
            "ghcr.io",
            "a/b",
            "1.0",
            SHA,
            f"ghcr.io/a/b:1.0@{SHA}",
            f"ghcr.io/a/b:1.0@{SHA}",
        ),
        # An uppercase first component is a registry (distribution/reference >= 0.5).
        ("Registry/app", "Registry", "app", None, None, "Registry/app:latest", "Registry/app:latest"),
        # Separators: ".", "_", "__" and runs of "-".
        (
            "org/a.b_c__d---e",
            "docker.io",
            "org/a.b_c__d---e",
            None,
            None,
            "docker.io/org/a.b_c__d---e:latest",
            "org/a.b_c__d---e:latest",
        ),
        # ... but a first component with a "." is a registry.
        ("a.b/c", "a.b", "c", None, None, "a.b/c:latest", "a.b/c:latest"),
        # Shortening this would turn "foo.bar" into a registry, so the familiar form keeps docker.io.
        (
            "docker.io/foo.bar/baz",
            "docker.io",
            "foo.bar/baz",
            None,
            None,
            "docker.io/foo.bar/baz:latest",
            "docker.io/foo.bar/baz:latest",
        ),
        (
            "docker.io/library/a/b",
            "docker.io",
            "library/a/b",
            None,
            None,
            "docker.io/library/a/b:latest",
            "library/a/b:latest",
        ),
        ("x:_tag.-1", "docker.io", "library/x", "_tag.-1", None, "docker.io/library/x:_tag.-1", "x:_tag.-1"),
        (
            "sha384img@sha384:" + "a" * 96,
            "docker.io",
            "library/sha384img",
            None,
            "sha384:" + "a" * 96,
            "docker.io/library/sha384img@sha384:" + "a" * 96,
            "sha384img@sha384:" + "a" * 96,
        ),
    ],
)
def test_parse_valid_references(
    ref: str, registry: str, repository: str, tag: str | None, digest: str | None, name: str, familiar: str
) -> None:
    assert docker_image_ref(ref) == {
        "registry": registry,
        "repository": repository,
        "tag": tag,
        "digest": digest,
        "name": name,
        "familiar": familiar,
    }
    assert docker_image_normalize(ref) == name


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("", "empty"),
        ("Ubuntu", "must be lowercase"),
        ("jupyter/Base", "must be lowercase"),
        ("quay.io/Jupyter/x", "must be lowercase"),
        ("ubuntu:", "tag ''"),
        ("ubuntu:-bad", "tag '-bad'"),
        ("ubuntu:" + "t" * 129, "tag"),
        ("ubuntu:a:b", "tag 'a:b'"),
        ("ubuntu@sha256:abc", "not algorithm:hex"),
        ("ubuntu@sha256:" + "a" * 63 + "z", "not algorithm:hex"),
        ("ubuntu@sha256:" + "a" * 65, "64 lowercase hex"),
        ("ubuntu@sha256:" + "A" * 64, "64 lowercase hex"),
        ("ubuntu@md5:" + "a" * 32, "not supported"),
        ("ubuntu@", "not algorithm:hex"),
        ("0123456789abcdef" * 4, "image ID"),
        (":latest", "repository name is empty"),
        ("/ubuntu", "components"),
        ("ubuntu/", "components"),
        ("a//b", "components"),
        ("a..b", "components"),
        ("a_-b", "components"),
        ("a___b", "components"),
        ("-a", "components"),
        ("a-", "components"),
        ("ubu ntu", "components"),
        ("localhost:port/app", "registry 'localhost:port'"),
        ("exa_mple.com/app", "registry 'exa_mple.com'"),
        ("-bad.com/app", "registry '-bad.com'"),
        ("https://quay.io/app", "registry 'https:'"),
        ("quay.io/" + "a" * 248, "longer than 255"),
    ],
)
def test_parse_rejects_invalid_references(ref: str, problem: str) -> None:
    with pytest.raises(LabforgeFilterError) as caught:
        docker_image_ref(ref)
    message = str(caught.value)
    assert f"invalid image reference {ref!r}" in message
    assert problem in message
    assert "accepted: [registry[:port]/]repository[:tag][@digest]" in message


def test_name_length_limit_is_inclusive() -> None:
    assert docker_image_normalize("quay.io/" + "a" * 247).startswith("quay.io/")


@pytest.mark.parametrize("ref", [None, 5, ["ubuntu"], {"name": "ubuntu"}])
def test_parse_rejects_non_strings(ref: object) -> None:
    with pytest.raises(LabforgeFilterError, match="must be a string"):
        docker_image_ref(ref)


# --------------------------------------------------------------------------- properties

LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
ALNUM = st.text(LOWER, min_size=1, max_size=6)
SEPARATOR = st.sampled_from([".", "_", "__", "-", "--"])


@st.composite
def path_components(draw: st.DrawFn) -> str:
    parts = [draw(ALNUM)]
    for _ in range(draw(st.integers(0, 2))):
        parts += [draw(SEPARATOR), draw(ALNUM)]
    return "".join(parts)


WORD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
DOMAIN_LABELS = st.builds(
    lambda edge, middle, end: edge + middle + end if middle or end else edge,
    st.text(LOWER, min_size=1, max_size=1),
    st.text(LOWER + "-", max_size=4),
    st.text(LOWER, max_size=1),
).filter(lambda label: not label.endswith("-"))


@st.composite
def domains(draw: st.DrawFn) -> str:
    host = ".".join(draw(st.lists(DOMAIN_LABELS, min_size=2, max_size=3)))
    return host + (f":{draw(st.integers(1, 65535))}" if draw(st.booleans()) else "")


DOMAINS = st.one_of(
    st.sampled_from(
        [
            "docker.io",
            "index.docker.io",
            "quay.io",
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "[::1]:5000",
            "Reg",
        ]
    ),
    domains(),
)
TAGS = st.builds(str.__add__, st.text(WORD, min_size=1, max_size=1), st.text(WORD + ".-", max_size=20))
DIGESTS = st.one_of(
    st.text("0123456789abcdef", min_size=64, max_size=64).map("sha256:".__add__),
    st.text("0123456789abcdef", min_size=128, max_size=128).map("sha512:".__add__),
)


@st.composite
def references(draw: st.DrawFn) -> str:
    components = draw(st.lists(path_components(), min_size=1, max_size=3))
    path = "/".join(components)
    domain = draw(st.none() | DOMAINS)
    if domain is None and len(components) > 1 and "." in components[0]:
        domain = "docker.io"  # otherwise that first component would be read as a registry
    ref = path if domain is None else f"{domain}/{path}"
    if draw(st.booleans()):
        ref += ":" + draw(TAGS)
    if draw(st.booleans()):
        ref += "@" + draw(DIGESTS)
    return ref


@given(references())
def test_property_parse_format_parse_round_trip(ref: str) -> None:
    """Formatting loses nothing but the implicit tag, which it spells out as "latest"."""
    parsed = parse_image_ref(ref)
    again = parse_image_ref(parsed.name)
    if parsed.tag is None and parsed.digest is None:
        assert again == replace(parsed, tag="latest")
    else:
        assert again == parsed
    assert again.name == parsed.name
    assert parse_image_ref(again.name) == again
    assert parse_image_ref(parsed.familiar) == again


@given(references())
def test_property_name_is_made_of_the_parts(ref: str) -> None:
    result = docker_image_ref(ref)
    expected = f"{result['registry']}/{result['repository']}"
    if result["tag"] is None and result["digest"] is None:
        expected += ":latest"
    if result["tag"] is not None:
        expected += f":{result['tag']}"
    if result["digest"] is not None:
        expected += f"@{result['digest']}"
    assert result["name"] == expected
    assert result["registry"] != "index.docker.io"


@given(st.text(max_size=40))
def test_property_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        parsed = parse_image_ref(text)
    except LabforgeFilterError as exc:
        assert repr(text) in str(exc)
    else:
        assert parse_image_ref(parsed.name).name == parsed.name


@given(references(), st.sampled_from(["A", " ", "!", "@@", "\u00e9", "/", "//x", "..x", ":"]))
def test_property_garbage_after_the_repository_is_refused(ref: str, garbage: str) -> None:
    path = parse_image_ref(ref).repository
    with pytest.raises(LabforgeFilterError):
        parse_image_ref(f"quay.io/{path}{garbage}")
