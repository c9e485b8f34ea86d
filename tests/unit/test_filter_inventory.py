"""labforge_unknown_vars: misspelled role variables are found, with a suggestion;
labforge_users_exist: listed users a host lacks fail naming the variable."""

import re

import pytest

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.inventory import labforge_unknown_vars, labforge_users_exist

KNOWN = ["jupyter_instances", "jupyter_image", "docker_engine_users", "docker_engine_daemon_config"]
PREFIXES = ["jupyter_", "docker_engine_"]


def test_misspelled_names_get_the_closest_known_one():
    names = ["jupyter_instance", "docker_engine_user", "docker_engine_users", "ansible_host", "__jupyter_x"]
    assert labforge_unknown_vars(names, KNOWN, PREFIXES) == [
        {"name": "docker_engine_user", "suggestion": "docker_engine_users",
         "text": "docker_engine_user (did you mean docker_engine_users?)"},
        {"name": "jupyter_instance", "suggestion": "jupyter_instances",
         "text": "jupyter_instance (did you mean jupyter_instances?)"},
    ]


def test_unrelated_unknown_names_have_no_suggestion():
    assert labforge_unknown_vars(["jupyter_zzz_qqq"], KNOWN, PREFIXES) == [
        {"name": "jupyter_zzz_qqq", "suggestion": "", "text": "jupyter_zzz_qqq"}]


def test_known_and_foreign_names_pass():
    assert labforge_unknown_vars(KNOWN + ["my_var", "inventory_hostname"], KNOWN, PREFIXES) == []


def test_rejects_non_lists():
    with pytest.raises(LabforgeFilterError, match="names must be a list"):
        labforge_unknown_vars("jupyter_x", KNOWN, PREFIXES)


def test_role_specs_are_every_roles_argument_specs_sorted(tmp_path):
    from labforge_filters.errors import LabforgeFilterError
    from labforge_filters.inventory import labforge_role_specs

    for role in ("b_role", "a_role", "no_specs"):
        (tmp_path / role / "meta").mkdir(parents=True)
    for role in ("b_role", "a_role"):
        (tmp_path / role / "meta" / "argument_specs.yml").write_text("argument_specs: {}\n")
    assert labforge_role_specs(str(tmp_path)) == [str(tmp_path / "a_role" / "meta" / "argument_specs.yml"),
                                                  str(tmp_path / "b_role" / "meta" / "argument_specs.yml")]
    with pytest.raises(LabforgeFilterError, match="roles directory"):
        labforge_role_specs(str(tmp_path / "missing"))


def test_listed_users_that_the_host_has_pass_through():
    passwd = {"root": ["x", "0"], "alice": ["x", "1000"]}
    assert labforge_users_exist(["alice", "root"], passwd, "docker_engine_users") == ["alice", "root"]
    assert labforge_users_exist([], {}, "hypervisor_users") == []


@pytest.mark.parametrize(
    ("users", "message"),
    [
        (["alice", "bob"], "docker_engine_users: bob does not exist on lab1; list existing users only"),
        (["bob", "carol"], "docker_engine_users: bob, carol do not exist on lab1"),
        ("alice", "docker_engine_users must be a list of user names, got a string"),
        ([1000], "docker_engine_users must be a list of user names"),
    ],
    ids=["one-missing", "two-missing", "a-string", "a-uid"],
)
def test_users_the_host_lacks_fail_naming_the_variable_and_the_host(users, message):
    with pytest.raises(LabforgeFilterError, match=re.escape(message)):
        labforge_users_exist(users, {"alice": ["x", "1000"]}, "docker_engine_users", "lab1")
