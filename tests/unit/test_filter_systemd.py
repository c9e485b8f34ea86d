from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.systemd import systemd_env_quote, systemd_escape, systemd_unescape

SYSTEMD_ESCAPE = shutil.which("systemd-escape")
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
needs_binary = pytest.mark.skipif(SYSTEMD_ESCAPE is None, reason="systemd-escape is not installed")

# Hand-written vectors. The first three are the examples of the systemd-escape(1) man
# page; the others were printed by systemd 252's systemd-escape and follow from the
# rules in systemd.unit(5) ("/" becomes "-", other bytes outside [a-zA-Z0-9:_.] and a
# leading "." become \xNN). They run whether or not the binary is present.
PLAIN = [
    ("Hall\u00f6chen, Meister", "Hall\\xc3\\xb6chen\\x2c\\x20Meister"),
    ("My Container 1", "My\\x20Container\\x201"),
    ("", ""),
    ("a", "a"),
    ("foo/bar", "foo-bar"),
    ("/foo//bar/", "-foo--bar-"),
    (".hidden", "\\x2ehidden"),
    ("/.foo", "-.foo"),
    ("foo.", "foo."),
    ("-x-", "\\x2dx\\x2d"),
    ("A-Z", "A\\x2dZ"),
    ("a\\b", "a\\x5cb"),
    ("a:b_c.d", "a:b_c.d"),
    ("a\nb", "a\\x0ab"),
    ("\t", "\\x09"),
    ("%i", "\\x25i"),
    ("~x", "\\x7ex"),
    ("\u00e9/\u00fc", "\\xc3\\xa9-\\xc3\\xbc"),
    ("\U0001f600", "\\xf0\\x9f\\x98\\x80"),
]
PATHS = [
    ("/tmp//waldi/foobar/", "tmp-waldi-foobar"),  # man page (with --suffix=mount)
    ("/", "-"),
    ("//", "-"),
    ("/./.", "-"),
    ("/dev/sda", "dev-sda"),
    ("/srv/jupyter-data/", "srv-jupyter\\x2ddata"),
    ("/.foo", "\\x2efoo"),
    ("/...", "\\x2e.."),
    ("/a/..b", "a-..b"),
    ("/a/b./", "a-b."),
    ("/a/.", "a"),
    ("/./a", "a"),
    ("a", "a"),  # relative paths: systemd-escape warns, then escapes
    ("./a/./b/", "a-b"),
    ("a//", "a"),
]
BAD_PATHS = ["", ".", "./", "./.", "..", "../a", "a/..", "/a/b/..", "/../a"]
UNESCAPE = [
    ("Hall\\xc3\\xb6chen\\x2c\\x20Meister", False, "Hall\u00f6chen, Meister"),  # man page
    ("", False, ""),
    ("-", False, "/"),
    ("foo-bar", False, "foo/bar"),
    ("a--b", False, "a//b"),
    ("\\x2efoo", False, ".foo"),
    ("\\x2E", False, "."),
    ("foo\\x2fbar", False, "foo/bar"),
    ("a b", False, "a b"),
    ("-", True, "/"),
    ("foo-bar", True, "/foo/bar"),
    ("\\x2efoo", True, "/.foo"),
    ("a-..b", True, "/a/..b"),
]
BAD_UNESCAPE = [
    ("\\x4", False),
    ("\\xzz", False),
    ("\\n", False),
    ("a\\", False),
    ("\\x00", False),
    ("\\xff", False),
    ("", True),
    ("-foo", True),
    ("foo-", True),
    ("a--b", True),
    ("foo-..-bar", True),
    ("foo-.-bar", True),
    ("\\x2e\\x2e", True),
    ("\\x2f", True),
]


@pytest.mark.parametrize(("value", "escaped"), PLAIN)
def test_escape_vectors(value: str, escaped: str) -> None:
    assert systemd_escape(value) == escaped
    assert systemd_unescape(escaped) == value


@pytest.mark.parametrize(("value", "escaped"), PATHS)
def test_escape_path_vectors(value: str, escaped: str) -> None:
    assert systemd_escape(value, True) == escaped


@pytest.mark.parametrize("value", BAD_PATHS)
def test_escape_path_refuses_what_systemd_escape_refuses(value: str) -> None:
    with pytest.raises(LabforgeFilterError, match=r"path ''|'\.\.'|names no file"):
        systemd_escape(value, path=True)


@pytest.mark.parametrize(("value", "path", "expected"), UNESCAPE)
def test_unescape_vectors(value: str, path: bool, expected: str) -> None:
    assert systemd_unescape(value, path) == expected


@pytest.mark.parametrize(("value", "path"), BAD_UNESCAPE)
def test_unescape_refuses_bad_input(value: str, path: bool) -> None:
    with pytest.raises(LabforgeFilterError) as caught:
        systemd_unescape(value, path)
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: systemd_escape(5), r"value must be a string, got 5 \(integer\)"),
        (lambda: systemd_escape(None, True), "path must be a string, got null"),
        (lambda: systemd_escape("a\0b"), "contains a NUL character"),
        (lambda: systemd_escape("\ud800"), "is not valid Unicode text"),
        (lambda: systemd_escape("a", "yes"), "path must be true or false, got 'yes'"),
        (lambda: systemd_unescape(["a"]), "value must be a string, got a list"),
        (lambda: systemd_unescape("a", 1), r"path must be true or false, got 1 \(integer\)"),
    ],
)
def test_type_errors(call: object, message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        call()  # type: ignore[operator]


TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=24)
COMPONENT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0/"), min_size=1, max_size=8).filter(
    lambda c: c not in (".", "..")
)
NORMALIZED_PATHS = st.lists(COMPONENT, max_size=4).map(lambda parts: "/" + "/".join(parts))


@given(TEXT)
def test_property_unescape_inverts_escape(value: str) -> None:
    escaped = systemd_escape(value)
    assert systemd_unescape(escaped) == value
    assert set(escaped) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.-\\")


@given(NORMALIZED_PATHS)
def test_property_path_unescape_inverts_path_escape(path: str) -> None:
    assert systemd_unescape(systemd_escape(path, True), True) == path


@given(st.lists(st.sampled_from(["", ".", "..", "a", "b.c", "-", "\u00e9"]), max_size=5), st.booleans(), st.booleans())
def test_property_path_escape_ignores_spelling(parts: list[str], leading: bool, trailing: bool) -> None:
    """Repeated "/", "." components and a trailing "/" do not change the unit name."""
    path = ("/" if leading else "") + "/".join(parts) + ("/" if trailing else "")
    absolute = path.startswith("/")
    clean = [p for p in parts if p not in ("", ".")]
    if ".." in clean or not path or (not absolute and not clean):
        with pytest.raises(LabforgeFilterError):
            systemd_escape(path, True)
    else:
        assert systemd_escape(path, True) == systemd_escape(("/" if absolute else "") + "/".join(clean), True)


# --------------------------------------------------------------------------- against the binary


def run_binary(*args: str) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ESCAPE is not None
    return subprocess.run(
        [SYSTEMD_ESCAPE, *args], capture_output=True, text=True, errors="surrogateescape", check=False
    )


@needs_binary
def test_vectors_match_the_binary() -> None:
    assert run_binary("--", *(value for value, _ in PLAIN)).stdout == " ".join(e for _, e in PLAIN) + "\n"


@needs_binary
def test_path_vectors_match_the_binary() -> None:
    for value, escaped in PATHS:
        assert run_binary("--path", "--", value).stdout == escaped + "\n", value
    for value in BAD_PATHS[1:]:  # "": the binary prints "-" with a warning; we refuse it on purpose
        assert run_binary("--path", "--", value).returncode != 0, value


@needs_binary
def test_unescape_vectors_match_the_binary() -> None:
    for value, path, expected in UNESCAPE:
        assert run_binary("--unescape", *(["--path"] if path else []), "--", value).stdout == expected + "\n", value
    for value, path in BAD_UNESCAPE:
        if value in ("\\x00",):  # the binary prints the text up to the NUL; we refuse it
            continue
        result = run_binary("--unescape", *(["--path"] if path else []), "--", value)
        assert result.returncode != 0 or value == "\\xff", value  # \xff: the binary prints invalid UTF-8


@needs_binary
@settings(max_examples=25)
@given(st.lists(TEXT, min_size=1, max_size=20))
def test_property_escape_matches_the_binary(values: list[str]) -> None:
    # systemd-escape prints the names on one line, separated by spaces, which it always escapes.
    stdout = run_binary("--", *values).stdout
    assert stdout.endswith("\n")
    assert stdout[:-1].split(" ") == [systemd_escape(v) for v in values]


@needs_binary
@settings(max_examples=30)
@given(st.lists(st.sampled_from(["/", ".", "..", "a", "-", " ", "\u00e9"]), min_size=1, max_size=8).map("".join))
def test_property_path_escape_matches_the_binary(value: str) -> None:
    result = run_binary("--path", "--", value)
    if result.returncode == 0:
        assert systemd_escape(value, True) + "\n" == result.stdout
    else:
        with pytest.raises(LabforgeFilterError):
            systemd_escape(value, True)


# --------------------------------------------------------------------------- Environment=


def systemd_reads(assignment: str) -> str:
    """How systemd reads one quoted ``Environment=`` word: specifiers, then C unescaping and unquoting.

    Only the subset our output can contain: "%%", backslash escapes of "\\" and '"'.
    """
    expanded, index = [], 0
    while index < len(assignment):
        if assignment[index] == "%":
            assert assignment[index + 1] == "%", "a lone % would be a specifier"
            index += 1
        expanded.append(assignment[index])
        index += 1
    text = "".join(expanded)
    assert text[0] == '"' and text[-1] == '"'
    out, index = [], 1
    while index < len(text) - 1:
        char = text[index]
        if char == "\\":
            assert text[index + 1] in '\\"'
            index += 1
            char = text[index]
        else:
            assert char != '"', "an unescaped quote would end the word"
        out.append(char)
        index += 1
    assert index == len(text) - 1
    return "".join(out)


@pytest.mark.parametrize(
    ("name", "value", "quoted"),
    [
        ("JUPYTER_PORT", "8888", '"JUPYTER_PORT=8888"'),
        ("JUPYTER_PORT", 8888, '"JUPYTER_PORT=8888"'),
        ("RATIO", 0.5, '"RATIO=0.5"'),
        ("_X", "", '"_X="'),
        ("MSG", 'say "hi"', '"MSG=say \\"hi\\""'),
        ("WIN", "C:\\path\\", '"WIN=C:\\\\path\\\\"'),
        ("PCT", "50% off %n", '"PCT=50%% off %%n"'),
        ("SPACES", "a  b\tc", '"SPACES=a  b\tc"'),
        ("DOLLAR", "$HOME ${X}", '"DOLLAR=$HOME ${X}"'),
        ("QUOTE", "it's", '"QUOTE=it\'s"'),
        ("UNI", "h\u00e9 \U0001f600", '"UNI=h\u00e9 \U0001f600"'),
    ],
)
def test_env_quote_vectors(name: str, value: object, quoted: str) -> None:
    assert systemd_env_quote(name, value) == quoted
    assert systemd_reads(quoted) == f"{name}={value}"


@pytest.mark.parametrize("name", ["", "1X", "A-B", "A B", "A=B", "\u00e9", None, 5, "X\n"])
def test_env_quote_rejects_bad_names(name: object) -> None:
    with pytest.raises(
        LabforgeFilterError, match=r"environment variable name .* must match \[A-Za-z_\]\[A-Za-z0-9_\]\*"
    ):
        systemd_env_quote(name, "v")


@pytest.mark.parametrize("value", ["line1\nline2", "nul\0", "cr\r", "bell\a", "esc\x1b[0m", "del\x7f"])
def test_env_quote_rejects_control_characters_without_showing_the_value(value: str) -> None:
    with pytest.raises(LabforgeFilterError, match=r"value of TOKEN contains control character U\+00") as caught:
        systemd_env_quote("TOKEN", "s3cr3t" + value)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize("value", [None, True, ["a"], {"a": 1}])
def test_env_quote_rejects_other_types(value: object) -> None:
    with pytest.raises(LabforgeFilterError, match="value of X must be a string or a number"):
        systemd_env_quote("X", value)


@given(
    st.builds(str.__add__, st.sampled_from(LETTERS + "_"), st.text(LETTERS + "_0123456789", max_size=10)),
    st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.just("\t"), max_size=30),
)
def test_property_systemd_reads_back_the_assignment(name: str, value: str) -> None:
    assert systemd_reads(systemd_env_quote(name, value)) == f"{name}={value}"


def test_unit_states_give_every_unit_the_same_wanted_state():
    from labforge_filters.systemd import systemd_unit_states

    assert systemd_unit_states(["a.socket", "b.service"], "started", True) == [
        {"name": "a.socket", "state": "started", "enabled": True},
        {"name": "b.service", "state": "started", "enabled": True}]
    assert systemd_unit_states(["a.service"], "restarted") == [{"name": "a.service", "state": "restarted"}]
    assert systemd_unit_states([], "stopped", False) == []


@pytest.mark.parametrize(("names", "state", "enabled", "message"), [
    ("a.service", "started", None, "expected a list of unit names"),
    (["a.service", ""], "started", None, "expected a list of unit names"),
    (["a.service"], "running", None, "unit state must be one of started, stopped, restarted"),
    (["a.service"], "started", "yes", "enabled must be true, false or left out"),
])
def test_unit_states_refuse_bad_input_naming_it(names, state, enabled, message):
    from labforge_filters.systemd import systemd_unit_states

    with pytest.raises(LabforgeFilterError, match=message):
        systemd_unit_states(names, state, enabled)
