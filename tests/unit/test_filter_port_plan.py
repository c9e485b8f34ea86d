from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.port_plan import jupyter_port_plan

RANGE = range(8888, 9000)


def test_automatic_instances_get_the_lowest_free_ports_in_name_order() -> None:
    instances = [{"name": "carol"}, {"name": "alice", "port": None}, {"name": "bob", "port": "auto"}]
    assert jupyter_port_plan(instances) == {"carol": 8890, "alice": 8888, "bob": 8889}


def test_explicit_ports_are_kept_and_skipped_by_automatic_ones() -> None:
    instances = [{"name": "a"}, {"name": "b", "port": 8888}, {"name": "c", "port": 80}]
    assert jupyter_port_plan(instances) == {"a": 8889, "b": 8888, "c": 80}


def test_previous_ports_are_kept() -> None:
    instances = [{"name": "a"}, {"name": "b"}, {"name": "new"}]
    assert jupyter_port_plan(instances, {"a": 8890, "b": 8888}) == {"a": 8890, "b": 8888, "new": 8889}


def test_a_previous_port_outside_the_range_is_kept() -> None:
    assert jupyter_port_plan([{"name": "a"}], {"a": 9500}) == {"a": 9500}


def test_an_explicit_port_claims_a_previous_automatic_port() -> None:
    instances = [{"name": "alice"}, {"name": "bob", "port": 8888}, {"name": "carol", "state": "absent"}]
    assert jupyter_port_plan(instances, {"alice": 8888, "carol": 8889}) == {"alice": 8889, "bob": 8888}


def test_inconsistent_previous_first_name_keeps_the_port() -> None:
    assert jupyter_port_plan([{"name": "b"}, {"name": "a"}], {"a": 8900, "b": 8900}) == {"b": 8888, "a": 8900}


def test_absent_instances_get_no_port_and_free_theirs() -> None:
    instances = [
        {"name": "a", "state": "absent", "port": 8888},
        {"name": "b", "port": 8888},
        {"name": "c", "state": "absent"},
    ]
    assert jupyter_port_plan(instances, {"a": 8888, "c": 8889}) == {"b": 8888}


def test_other_states_get_ports() -> None:
    assert jupyter_port_plan([{"name": "a", "state": "stopped"}, {"name": "b", "state": "present"}]) == {
        "a": 8888,
        "b": 8889,
    }


def test_previous_entries_of_unknown_instances_are_ignored() -> None:
    assert jupyter_port_plan([{"name": "a"}], {"gone": "garbage", "a": 8890}) == {"a": 8890}


def test_custom_range() -> None:
    assert jupyter_port_plan([{"name": "a"}, {"name": "b"}], None, 9000, 9001) == {"a": 9000, "b": 9001}


def test_other_instance_keys_are_ignored() -> None:
    assert jupyter_port_plan([{"name": "a", "image": "x", "port": 9000}]) == {"a": 9000}


def test_empty() -> None:
    assert jupyter_port_plan([]) == {}


def test_same_explicit_port_names_both_instances() -> None:
    with pytest.raises(LabforgeFilterError, match=r"instances 'alice' and 'bob' both ask for port 8888"):
        jupyter_port_plan([{"name": "alice", "port": 8888}, {"name": "x"}, {"name": "bob", "port": 8888}])


def test_duplicate_names() -> None:
    with pytest.raises(LabforgeFilterError, match=r"instance name 'a' appears more than once"):
        jupyter_port_plan([{"name": "a"}, {"name": "a", "state": "absent"}])


@pytest.mark.parametrize("port", [0, -1, 65536, "8888", "AUTO", 8888.0, True, [8888]])
def test_bad_ports_name_the_instance(port: object) -> None:
    with pytest.raises(
        LabforgeFilterError, match=r"instance 'lab': port .* is not accepted; use an integer from 1 to 65535"
    ):
        jupyter_port_plan([{"name": "lab", "port": port}])


def test_range_exhausted() -> None:
    with pytest.raises(LabforgeFilterError, match=r"no free port left in 9000-9001 for instance 'c'"):
        jupyter_port_plan([{"name": "a"}, {"name": "b"}, {"name": "c"}], None, 9000, 9001)


def test_range_exhausted_by_explicit_ports() -> None:
    with pytest.raises(LabforgeFilterError, match=r"no free port left in 9000-9000 for instance 'a'"):
        jupyter_port_plan([{"name": "a"}, {"name": "b", "port": 9000}], None, 9000, 9000)


@pytest.mark.parametrize(
    ("instances", "message"),
    [
        ({"name": "a"}, "instances must be a list of mappings, got a mapping {'name': 'a'}"),
        ("a", "instances must be a list of mappings, got a string"),
        (None, "instances must be a list of mappings, got null"),
        (["a"], r"instances\[0\] must be a mapping with a name, got a string"),
        ([{"port": 1}], r"instances\[0\] needs a non-empty string name, got null"),
        ([{"name": ""}], r"instances\[0\] needs a non-empty string name"),
        ([{"name": 5}], r"instances\[0\] needs a non-empty string name, got 5 \(integer\)"),
        ([{"name": "a", "state": True}], r"instance 'a': state must be a string"),
    ],
)
def test_bad_instances(instances: object, message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        jupyter_port_plan(instances)


@pytest.mark.parametrize(
    ("previous", "message"),
    [
        ([8888], "previous must be a mapping of instance name to port, got a list"),
        ({"a": "8888"}, r"previous\['a'\] = '8888' is not a port"),
        ({"a": 0}, r"previous\['a'\] = 0 \(integer\) is not a port"),
        ({"a": False}, r"previous\['a'\] = False \(boolean\) is not a port"),
    ],
)
def test_bad_previous(previous: object, message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        jupyter_port_plan([{"name": "a"}], previous)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (0, 10, "range_start 0 .* must be an integer from 1 to 65535"),
        (1, 65536, "range_end 65536 .* must be an integer"),
        ("8888", 9000, "range_start '8888' must be an integer"),
        (True, 9000, "range_start True .* must be an integer"),
        (9000, 8999, "range_start 9000 is greater than range_end 8999"),
    ],
)
def test_bad_range(start: object, end: object, message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        jupyter_port_plan([], None, start, end)


# --------------------------------------------------------------------------- properties

NAMES = [f"lab{i:02d}" for i in range(30)]


@st.composite
def instance_lists(
    draw: st.DrawFn, names: list[str] | None = None, taken: frozenset[int] = frozenset()
) -> list[dict[str, Any]]:
    """Unique names; explicit ports unique (clashes are an error) and outside ``taken``."""
    chosen = draw(st.lists(st.sampled_from(names or NAMES), unique=True, max_size=12))
    ports = iter(
        draw(
            st.lists(
                st.integers(8880, 8910).filter(lambda p: p not in taken),
                unique=True,
                min_size=len(chosen),
                max_size=len(chosen),
            )
        )
    )
    result = []
    for name in chosen:
        instance: dict[str, Any] = {"name": name}
        port = next(ports)
        mode = draw(st.sampled_from(["auto", "none", "missing", "explicit"]))
        if mode == "explicit":
            instance["port"] = port
        elif mode != "missing":
            instance["port"] = None if mode == "none" else "auto"
        if draw(st.integers(0, 5)) == 0:
            instance["state"] = "absent"
        result.append(instance)
    return result


def present(instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in instances if i.get("state") != "absent"]


def automatic(instance: dict[str, Any]) -> bool:
    return instance.get("port") in (None, "auto")


@st.composite
def previous_plans(draw: st.DrawFn, instances: list[dict[str, Any]]) -> dict[str, int]:
    """Recorded ports that often collide with explicit ports and with each other."""
    explicit = [i["port"] for i in instances if isinstance(i.get("port"), int)]
    ports = st.sampled_from([*explicit, 8888, 8889, 9500]) if explicit else st.sampled_from([8888, 8889, 9500])
    names = [i["name"] for i in instances] + ["gone"]
    return draw(st.dictionaries(st.sampled_from(names), ports, max_size=len(names)))


@given(st.data())
def test_property_plans_never_clash_and_keep_explicit_ports(data: st.DataObject) -> None:
    instances = data.draw(instance_lists())
    previous = data.draw(previous_plans(instances))
    plan = jupyter_port_plan(instances, previous)
    assert sorted(plan) == sorted(i["name"] for i in present(instances))
    assert len(set(plan.values())) == len(plan)
    for instance in present(instances):
        port = plan[instance["name"]]
        if not automatic(instance):
            assert port == instance["port"]
        elif port != previous.get(instance["name"]):
            assert port in RANGE


@given(instance_lists())
def test_property_a_recorded_plan_is_a_fixed_point(instances: list[dict[str, Any]]) -> None:
    plan = jupyter_port_plan(instances)
    assert jupyter_port_plan(instances, plan) == plan


@given(st.data())
def test_property_adding_and_removing_instances_never_moves_automatic_ones(data: st.DataObject) -> None:
    before = data.draw(instance_lists(NAMES[:15]))
    plan = jupyter_port_plan(before)
    kept = data.draw(st.lists(st.sampled_from(before), unique_by=lambda i: i["name"])) if before else []
    added = data.draw(instance_lists(NAMES[15:], taken=frozenset(plan.values())))
    after = kept + added
    new_plan = jupyter_port_plan(after, plan)
    for instance in present(kept):
        if automatic(instance):
            assert new_plan[instance["name"]] == plan[instance["name"]]
