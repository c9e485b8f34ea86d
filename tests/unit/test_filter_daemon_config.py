from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.daemon_config import (
    FLAG_TO_KEY,
    NOT_IN_DAEMON_JSON,
    docker_daemon_flag_clashes,
    docker_daemon_merge,
    docker_daemon_reconcile,
    dockerd_flag_names,
)
from labforge_filters.errors import LabforgeFilterError

DEBIAN_EXECSTART = "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock"


def as_json(value: Any) -> str:
    """Exact comparison: key order and true-vs-1 both count."""
    return json.dumps(value)


# --------------------------------------------------------------------------- merge


def test_merge_later_scalars_win_and_mappings_merge() -> None:
    base = {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}, "debug": False}
    layer = {"log-opts": {"max-file": "5", "compress": "true"}, "debug": True}
    assert as_json(docker_daemon_merge(base, layer)) == as_json(
        {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "5", "compress": "true"}, "debug": True}
    )


def test_merge_lists_union_in_first_seen_order() -> None:
    result = docker_daemon_merge(
        {"registry-mirrors": ["http://a", "http://b"]},
        {"registry-mirrors": ["http://c", "http://a"]},
        {"registry-mirrors": ["http://b", "http://d", "http://d"]},
    )
    assert result == {"registry-mirrors": ["http://a", "http://b", "http://c", "http://d"]}


def test_merge_list_union_compares_mappings_and_keeps_true_apart_from_1() -> None:
    pool = {"base": "10.10.0.0/16", "size": 24}
    result = docker_daemon_merge(
        {"default-address-pools": [pool], "x": [1, True]},
        {
            "default-address-pools": [{"size": 24, "base": "10.10.0.0/16"}, {"base": "10.20.0.0/16", "size": 24}],
            "x": [True, 1.0, 2],
        },
    )
    assert result["default-address-pools"] == [pool, {"base": "10.20.0.0/16", "size": 24}]
    assert as_json(result["x"]) == as_json([1, True, 2])


def test_merge_null_removes_keys_at_any_depth() -> None:
    base = {"debug": True, "log-opts": {"max-size": "10m", "max-file": "3"}, "hosts": ["fd://"]}
    result = docker_daemon_merge(base, {"debug": None, "log-opts": {"max-file": None}}, {"hosts": None, "absent": None})
    assert result == {"log-opts": {"max-size": "10m"}}


def test_merge_nulls_never_reach_the_result() -> None:
    assert docker_daemon_merge({"a": None, "b": {"c": None, "d": 1}}) == {"b": {"d": 1}}
    assert docker_daemon_merge({}, {"new": {"x": None}}) == {"new": {}}


def test_merge_null_inside_a_list_is_an_item() -> None:
    assert docker_daemon_merge({"l": [None]}, {"l": [None, 1]}) == {"l": [None, 1]}


def test_merge_a_later_kind_replaces_an_earlier_one() -> None:
    assert docker_daemon_merge({"k": ["a"]}, {"k": "b"}) == {"k": "b"}
    assert docker_daemon_merge({"k": "b"}, {"k": ["a"]}) == {"k": ["a"]}
    assert docker_daemon_merge({"k": {"a": 1}}, {"k": 5}) == {"k": 5}
    assert docker_daemon_merge({"k": 5}, {"k": {"a": 1, "b": None}}) == {"k": {"a": 1}}


def test_merge_does_not_modify_its_inputs_or_share_containers() -> None:
    base = {"a": {"b": [1]}, "l": [{"x": 1}]}
    layer = {"a": {"b": [2]}, "l": [{"y": 2}]}
    before = copy.deepcopy((base, layer))
    result = docker_daemon_merge(base, layer)
    result["a"]["b"].append(99)
    result["l"][0]["x"] = 99
    assert (base, layer) == before


def test_merge_accepts_tuples_as_lists_and_returns_plain_types() -> None:
    assert docker_daemon_merge({"dns": ("1.1.1.1",)}, {"dns": ("8.8.8.8", "1.1.1.1")}) == {
        "dns": ["1.1.1.1", "8.8.8.8"]
    }


def test_merge_of_one_mapping_is_a_copy() -> None:
    base = {"a": 1}
    assert docker_daemon_merge(base) == base
    assert docker_daemon_merge(base) is not base


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ((None,), "base (the filter input)"),
        (([],), "base (the filter input)"),
        (("{}",), "base (the filter input)"),
        (({}, {"a": 1}, ["x"]), "layer 2 (argument 3)"),
        (({}, 5), "layer 1 (argument 2)"),
    ],
)
def test_merge_rejects_non_mappings_naming_the_position(args: tuple[object, ...], where: str) -> None:
    with pytest.raises(LabforgeFilterError, match=r"must be a mapping") as caught:
        docker_daemon_merge(*args)
    assert str(caught.value).startswith(where)


def test_merge_rejects_non_string_keys_naming_the_path() -> None:
    with pytest.raises(
        LabforgeFilterError, match=r"layer 1 \(argument 2\): key 1 \(integer\) at log-opts must be a string"
    ):
        docker_daemon_merge({}, {"log-opts": {1: "x"}})


# Trees where each key always holds the same kind (its name says which): s* scalars,
# l* lists, d* mappings. No nulls anywhere.
SCALARS = st.one_of(st.booleans(), st.integers(-3, 3), st.sampled_from(["", "a", "b", "fd://"]))
LIST_ITEMS = st.one_of(SCALARS, st.dictionaries(st.sampled_from(["x", "y"]), SCALARS, max_size=2))


def kind_consistent_trees(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    optional: dict[str, st.SearchStrategy[Any]] = {f"s{i}": SCALARS for i in range(3)}
    optional |= {f"l{i}": st.lists(LIST_ITEMS, max_size=4) for i in range(2)}
    if depth:
        optional |= {f"d{i}": kind_consistent_trees(depth - 1) for i in range(2)}
    return st.fixed_dictionaries({}, optional=optional)


def with_nulls(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.one_of(st.none(), SCALARS, st.lists(LIST_ITEMS, max_size=3))
    if depth:
        leaf = leaf | st.deferred(lambda: with_nulls(depth - 1))
    return st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), leaf, max_size=4)


@given(kind_consistent_trees(), kind_consistent_trees(), kind_consistent_trees())
def test_property_merge_is_associative_for_kind_consistent_trees_without_nulls(a: dict, b: dict, c: dict) -> None:
    """merge(merge(a, b), c) == merge(a, merge(b, c)), key order and true-vs-1 included.

    Holds when no value is null and every key path holds the same kind (scalar,
    list or mapping) in all three; lists are included. Nulls break it (a null in b
    deletes a's key on the left but is dropped before reaching a on the right), and
    so do kind changes (see the next test).
    """
    left = docker_daemon_merge(docker_daemon_merge(a, b), c)
    right = docker_daemon_merge(a, docker_daemon_merge(b, c))
    assert as_json(left) == as_json(right)
    assert as_json(left) == as_json(docker_daemon_merge(a, b, c))


def test_associativity_needs_consistent_kinds() -> None:
    a, b, c = {"k": ["x"]}, {"k": "s"}, {"k": ["y"]}
    assert docker_daemon_merge(docker_daemon_merge(a, b), c) == {"k": ["y"]}
    assert docker_daemon_merge(a, docker_daemon_merge(b, c)) == {"k": ["x", "y"]}


@given(kind_consistent_trees())
def test_property_merge_is_idempotent(a: dict) -> None:
    once = docker_daemon_merge(a)
    assert as_json(docker_daemon_merge(a, a)) == as_json(once)
    assert as_json(docker_daemon_merge(once, once)) == as_json(once)


@given(with_nulls(), with_nulls())
def test_property_no_nulls_in_mappings_of_the_result_and_later_keys_win(a: dict, b: dict) -> None:
    result = docker_daemon_merge(a, b)

    def no_null_values(tree: dict) -> bool:
        return all(v is not None and (not isinstance(v, dict) or no_null_values(v)) for v in tree.values())

    assert no_null_values(result)
    for key, value in b.items():
        if value is None:
            assert key not in result
        elif not isinstance(value, (dict, list)):
            assert as_json(result[key]) == as_json(value)


# --------------------------------------------------------------------------- over the host's file

DEFAULTS = {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}, "icc": False}


def test_reconcile_over_nothing_is_the_merge() -> None:
    group = {"labels": ["lab=a"], "log-opts": {"max-size": "20m"}}
    assert as_json(docker_daemon_reconcile({}, {}, DEFAULTS, group)) == as_json(docker_daemon_merge(DEFAULTS, group))


def test_reconcile_keeps_what_the_operator_added_by_hand() -> None:
    written = docker_daemon_merge(DEFAULTS, {"labels": ["lab=a"]})
    on_host = docker_daemon_merge(written, {"debug": True, "labels": ["owner=ops"], "log-opts": {"compress": "true"}})
    result = docker_daemon_reconcile(on_host, written, DEFAULTS, {"labels": ["lab=a"]})
    assert result == on_host
    # and a change of the role's own settings keeps them too
    result = docker_daemon_reconcile(on_host, written, DEFAULTS, {"labels": ["lab=b"]})
    assert result["debug"] is True
    assert result["labels"] == ["owner=ops", "lab=b"]
    assert result["log-opts"] == {"max-size": "10m", "max-file": "3", "compress": "true"}


def test_reconcile_removes_what_the_role_wrote_and_no_layer_wants() -> None:
    previous = docker_daemon_merge(
        DEFAULTS, {"runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}, "labels": ["lab=a", "x=1"]}
    )
    on_host = docker_daemon_merge(previous, {"labels": ["owner=ops"], "runtimes": {"crun": {"path": "/usr/bin/crun"}}})
    result = docker_daemon_reconcile(on_host, previous, DEFAULTS, {"labels": ["lab=a"]})
    # the role's runtime went, the operator's stayed; the role's label x=1 went, the operator's stayed
    assert result["runtimes"] == {"crun": {"path": "/usr/bin/crun"}}
    assert result["labels"] == ["lab=a", "owner=ops"]
    # a mapping or list left empty goes as a whole
    assert "runtimes" not in docker_daemon_reconcile(previous, previous, DEFAULTS)
    assert "labels" not in docker_daemon_reconcile(previous, previous, DEFAULTS)


def test_reconcile_removes_a_nested_key_the_role_no_longer_wants() -> None:
    previous = DEFAULTS
    on_host = docker_daemon_merge(DEFAULTS, {"log-opts": {"compress": "true"}})
    result = docker_daemon_reconcile(on_host, previous, {**DEFAULTS, "log-opts": {"max-size": "10m"}})
    assert result["log-opts"] == {"max-size": "10m", "compress": "true"}


def test_reconcile_null_removes_a_key_of_the_host_file_or_of_the_defaults() -> None:
    on_host = docker_daemon_merge(DEFAULTS, {"debug": True, "log-opts": {"compress": "true"}})
    result = docker_daemon_reconcile(
        on_host, DEFAULTS, DEFAULTS, {"debug": None, "icc": None, "log-opts": {"compress": None}}
    )
    assert as_json(result) == as_json({"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}})
    assert as_json(docker_daemon_reconcile(on_host, DEFAULTS, DEFAULTS, {"log-opts": None})) == as_json(
        {"log-driver": "json-file", "icc": False, "debug": True}
    )


def test_reconcile_a_layer_value_wins_over_the_host_file() -> None:
    result = docker_daemon_reconcile({"icc": True, "log-level": "debug"}, {}, DEFAULTS)
    assert result["icc"] is False
    assert result["log-level"] == "debug"


def test_reconcile_a_key_the_operator_changed_by_hand_goes_when_the_role_drops_it() -> None:
    """Like kubectl apply: a key the role wrote is the role's until no layer sets it."""
    previous = {"log-level": "info"}
    assert docker_daemon_reconcile({"log-level": "debug"}, previous, {}) == {}


def test_reconcile_leaves_keys_no_layer_touches_exactly_as_found() -> None:
    on_host = {"dns": ["1.1.1.1", "1.1.1.1"], "debug": None, "log-opts": {"max-size": "1m"}}
    assert as_json(docker_daemon_reconcile(on_host, {}, {"icc": False})) == as_json({**on_host, "icc": False})


def test_reconcile_does_not_modify_its_inputs() -> None:
    on_host = {"labels": ["a", "b"], "log-opts": {"max-size": "1m"}}
    previous = {"labels": ["b"], "log-opts": {"max-size": "1m"}}
    layer = {"labels": ["c"]}
    before = copy.deepcopy((on_host, previous, layer))
    result = docker_daemon_reconcile(on_host, previous, layer)
    result["labels"].append("z")
    assert (on_host, previous, layer) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([], {}), r"^the host's daemon.json \(the filter input\) must be a mapping, got a list \[\]"),
        (({}, None), r"^previous \(argument 2, what labforge wrote last\) must be a mapping, got null"),
        (({}, {}, {}, "x"), r"^layer 2 \(argument 4\) must be a mapping"),
        (({1: "x"}, {}), r"^the host's daemon.json \(the filter input\): key 1 \(integer\) at top level"),
    ],
)
def test_reconcile_rejects_non_mappings_naming_the_argument(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        docker_daemon_reconcile(*args)


def keys_in(tree: dict, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every key path of a tree of mappings."""
    paths = set()
    for key, value in tree.items():
        paths.add((*prefix, key))
        if isinstance(value, dict):
            paths |= keys_in(value, (*prefix, key))
    return paths


# The host's file may hold anything, also keys the layers never name (o*).
HOST_FILES = st.fixed_dictionaries({}, optional={"o0": SCALARS, "o1": st.lists(LIST_ITEMS, max_size=3)}).flatmap(
    lambda own: kind_consistent_trees().map(lambda tree: {**tree, **own})
)


@given(HOST_FILES, kind_consistent_trees(), st.lists(with_nulls(), max_size=3))
def test_property_reconcile_is_idempotent(on_host: dict, previous: dict, layers: list[dict]) -> None:
    """A second run, over the file the first wrote and with what it recorded, changes nothing."""
    wanted = docker_daemon_merge({}, *layers)
    once = docker_daemon_reconcile(on_host, previous, *layers)
    again = docker_daemon_reconcile(once, wanted, *layers)
    # the role writes the file with sorted keys: their order may differ, list order may not
    assert json.dumps(again, sort_keys=True) == json.dumps(once, sort_keys=True)


@given(HOST_FILES, kind_consistent_trees(), st.lists(kind_consistent_trees(), max_size=3))
def test_property_reconcile_keeps_the_operators_keys_and_holds_what_the_layers_want(
    on_host: dict, previous: dict, layers: list[dict]
) -> None:
    result = docker_daemon_reconcile(on_host, previous, *layers)
    named = set().union(*(layer.keys() for layer in layers), previous.keys())
    for key, value in on_host.items():
        if key not in named:
            assert as_json(result[key]) == as_json(value)
    # everything the layers want is in the result: merging it in again adds nothing
    merged_again = docker_daemon_merge(result, *layers)
    assert json.dumps(merged_again, sort_keys=True) == json.dumps(docker_daemon_merge(result), sort_keys=True)


@given(HOST_FILES, kind_consistent_trees(), st.lists(with_nulls(), max_size=3))
def test_property_reconcile_null_in_the_last_layer_removes_the_key(
    on_host: dict, previous: dict, layers: list[dict]
) -> None:
    removals = {key: None for key in ("o0", "o1", "s0", "l0", "d0", "a")}
    result = docker_daemon_reconcile(on_host, previous, *layers, removals)
    assert not set(removals) & set(result)


@given(HOST_FILES, kind_consistent_trees(), kind_consistent_trees())
def test_property_reconcile_drops_scalars_the_role_wrote_and_wants_no_more(
    on_host: dict, previous: dict, layer: dict
) -> None:
    result = docker_daemon_reconcile(docker_daemon_merge(on_host, previous), previous, layer)
    for path in keys_in(previous) - keys_in(layer):
        node: Any = previous
        for key in path:
            node = node[key]
        if isinstance(node, (dict, list)):
            continue
        found: Any = result
        for key in path[:-1]:
            found = found.get(key, {}) if isinstance(found, dict) else {}
        assert not isinstance(found, dict) or path[-1] not in found, path


# --------------------------------------------------------------------------- flag clashes


def test_clashes_with_debian_execstart() -> None:
    config = {"hosts": ["unix:///run/docker.sock"], "containerd": "/x", "log-driver": "journald"}
    assert docker_daemon_flag_clashes(config, DEBIAN_EXECSTART) == ["containerd", "hosts"]


@pytest.mark.parametrize(
    "flags",
    [
        DEBIAN_EXECSTART,
        ["-H fd://", "--containerd=/run/containerd/containerd.sock"],
        ["/usr/sbin/dockerd", "-H", "fd://", "--containerd", "/run/containerd/containerd.sock"],
        ["--host=fd://", "--containerd=/x"],
        "-/usr/bin/dockerd -Hfd:// --containerd /x",  # systemd's "-" prefix on the program is not a flag
    ],
)
def test_clashes_accept_a_string_or_a_list(flags: object) -> None:
    assert docker_daemon_flag_clashes({"hosts": [], "containerd": "", "debug": True}, flags) == ["containerd", "hosts"]


@pytest.mark.parametrize(
    ("flag", "key"),
    [
        ("-H unix:///x", "hosts"),
        ("--host unix:///x", "hosts"),
        ("--containerd /run/c.sock", "containerd"),
        ("--data-root=/srv/docker", "data-root"),
        ("--log-driver journald", "log-driver"),
        ("--log-level=warn", "log-level"),
        ("-l warn", "log-level"),
        ("-l=warn", "log-level"),
        ("--storage-driver overlay2", "storage-driver"),
        ("-s overlay2", "storage-driver"),
        ("--default-runtime runc", "default-runtime"),
        ("--dns 1.1.1.1", "dns"),
        ("--dns-search example.org", "dns-search"),
        ("--dns-opt ndots:2", "dns-opts"),
        ("--bip 172.30.0.1/16", "bip"),
        ("-b none", "bridge"),
        ("--iptables=false", "iptables"),
        ("--userland-proxy=false", "userland-proxy"),
        ("--live-restore", "live-restore"),
        ("--registry-mirror http://m", "registry-mirrors"),
        ("--insecure-registry 172.17.0.1:5000", "insecure-registries"),
        ("--exec-opt native.cgroupdriver=systemd", "exec-opts"),
        ("--default-ulimit nofile=1024:2048", "default-ulimits"),
        ("--label env=lab", "labels"),
        ("--log-opt max-size=10m", "log-opts"),
        ("--storage-opt dm.basesize=20G", "storage-opts"),
        ("--add-runtime crun=/usr/bin/crun", "runtimes"),
        ("--authorization-plugin authz", "authorization-plugins"),
        ("--default-address-pool base=10.10.0.0/16,size=24", "default-address-pools"),
        ("--feature cdi=true", "features"),
        ("--debug", "debug"),
        ("--debug=false", "debug"),
        ("-D", "debug"),
        ("--tls", "tls"),
        ("--tlsverify", "tlsverify"),
        ("--tlscacert=/ca.pem", "tlscacert"),
        ("--tlscert /c.pem", "tlscert"),
        ("--tlskey /k.pem", "tlskey"),
        ("--group docker", "group"),
        ("-G docker", "group"),
        ("--no-new-privileges", "no-new-privileges"),
        ("--icc=false", "icc"),
        ("--ip-forward=false", "ip-forward"),
        ("--mtu 1400", "mtu"),
        ("--cgroup-parent lab.slice", "cgroup-parent"),
        ("--pidfile /run/d.pid", "pidfile"),
        ("-p /run/d.pid", "pidfile"),
        ("--some-future-option x", "some-future-option"),
    ],
)
def test_clashes_know_the_flag_to_key_mapping(flag: str, key: str) -> None:
    config = {key: "x", "unrelated": 1}
    assert docker_daemon_flag_clashes(config, f"dockerd {flag}") == [key]
    assert docker_daemon_flag_clashes({"unrelated": 1}, f"dockerd {flag}") == []


def test_grouped_short_flags() -> None:
    assert dockerd_flag_names("-DH fd://") == ["debug", "host"]
    assert dockerd_flag_names("-Dlwarn") == ["debug", "log-level"]
    assert dockerd_flag_names(["-D=true"]) == ["debug"]


def test_values_and_non_config_flags_are_not_keys() -> None:
    config = {"config-file": "x", "validate": True, "max-size": "10m", "fd://": 1}
    flags = "dockerd --config-file /etc/docker/daemon.json --validate --log-opt max-size=10m -H fd://"
    assert docker_daemon_flag_clashes(config, flags) == []


def test_double_dash_ends_the_flags() -> None:
    assert dockerd_flag_names("dockerd -D -- --debug --host x") == ["debug"]


def test_no_flags() -> None:
    assert docker_daemon_flag_clashes({"hosts": []}, None) == []
    assert docker_daemon_flag_clashes({"hosts": []}, []) == []
    assert docker_daemon_flag_clashes({"hosts": []}, "/usr/bin/dockerd") == []


def test_quoted_values_are_split_like_a_shell() -> None:
    assert dockerd_flag_names("dockerd --label 'a=b --debug' -H fd://") == ["label", "host"]


@pytest.mark.parametrize(
    ("config", "flags", "message"),
    [
        ([], "-D", "config must be a mapping"),
        (None, "-D", "config must be a mapping"),
        ({}, 5, "flags must be a dockerd command line"),
        ({}, {"-D": True}, "flags must be a dockerd command line"),
        ({}, ["-D", 5], r"flags\[1\] must be a string"),
        ({}, "dockerd --label 'unclosed", "cannot split dockerd flags"),
        ({}, "dockerd -x", r"unknown dockerd short flag -x in '-x'; known: -b -D -G -H -h -l -p -s -v"),
        ({}, "dockerd -Dq", "unknown dockerd short flag -q"),
        ({}, "dockerd ---weird", "malformed dockerd flag '---weird'"),
    ],
)
def test_clashes_reject_bad_input(config: object, flags: object, message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        docker_daemon_flag_clashes(config, flags)


FLAG_NAMES = st.builds(
    str.__add__,
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-", max_size=10),
)


@given(
    st.dictionaries(st.one_of(FLAG_NAMES, st.sampled_from(sorted(FLAG_TO_KEY.values()))), st.just(1), max_size=6),
    st.lists(st.one_of(FLAG_NAMES, st.sampled_from(sorted(FLAG_TO_KEY))), max_size=6),
    st.booleans(),
)
def test_property_clashes_are_the_sorted_config_keys_set_by_long_flags(
    config: dict, names: list[str], as_string: bool
) -> None:
    """The mapping table itself is checked above; this checks parsing, intersection and order."""
    tokens = ["/usr/bin/dockerd", *(f"--{name}=v" for name in names)]
    flags: object = " ".join(tokens) if as_string else tokens
    keys = {FLAG_TO_KEY.get(n, n) for n in names if n not in NOT_IN_DAEMON_JSON}
    assert docker_daemon_flag_clashes(config, flags) == sorted(keys & set(config))


# --------------------------------------------------------------------------- blame


def test_blame_names_the_variable_behind_each_changed_key() -> None:
    from labforge_filters.daemon_config import docker_daemon_blame

    layers = {
        "docker_engine_daemon_defaults": {"log-opts": {"max-size": "10m"}, "icc": False, "data-root": "/a"},
        "docker_engine_data_root": {"data-root": "/etc/hostname"},
        "docker_engine_daemon_config": {"log-opts": {"max-file": "5"}},
        "docker_engine_daemon_config_host": {"icc": None},
    }
    before = {"data-root": "/a", "icc": False, "log-opts": {"max-size": "10m"}, "debug": True, "old": 1}
    after = {"data-root": "/etc/hostname", "log-opts": {"max-size": "10m", "max-file": "5"}, "debug": True}
    assert docker_daemon_blame(before, after, layers) == [
        "docker_engine_data_root (data-root)",  # a scalar: the last layer that sets it
        "docker_engine_daemon_defaults (icc)",  # removed by a null: every layer that has the key
        "docker_engine_daemon_config_host (icc)",
        "docker_engine_daemon_defaults (log-opts)",  # a mapping: every layer that sets part of it
        "docker_engine_daemon_config (log-opts)",
        "old (removed: no variable sets it any more)",
    ]
    assert docker_daemon_blame(after, after, layers) == []
    # true and 1 differ in JSON
    assert docker_daemon_blame({"debug": 1}, {"debug": True}, {"x": {"debug": True}}) == ["x (debug)"]
    with pytest.raises(LabforgeFilterError, match="before and after must be mappings"):
        docker_daemon_blame([], {}, {})
    with pytest.raises(LabforgeFilterError, match="layers must map variable names"):
        docker_daemon_blame({}, {}, [])
