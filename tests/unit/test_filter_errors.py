"""The message helpers every filter's errors go through: a secret never shows."""

from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.errors import MASK, SECRET_KEYS, got, show

SECRET = "s3cret-value-never-shown"
plain = st.text(alphabet="abcdefghij", min_size=1, max_size=8).filter(lambda k: k not in SECRET_KEYS)
values = st.recursive(
    st.one_of(st.none(), st.integers(), plain),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(plain, inner, max_size=3)),
    max_leaves=8,
)


@given(values, st.sampled_from(sorted(SECRET_KEYS)), st.booleans())
def test_a_secret_key_at_any_depth_is_masked(value, key, upper):
    nested = {"outer": [{"name": "alice", key.upper() if upper else key: SECRET}], "other": value}
    for text in (show(nested), got(nested), show([nested]), got([nested])):
        assert SECRET not in text
    assert MASK in show({key: SECRET})


def test_other_values_still_show():
    assert show({"name": "alice", "port": 8888}) == "{'name': 'alice', 'port': 8888}"
    assert got(["a", {"token": "x" * 20}]) == "a list ['a', {'token': '<hidden>'}]"
