"""labforge_unknown_vars: misspelled role variables are found, with a suggestion;
labforge_not_lists: a list variable given as a string or a mapping is refused, naming it;
labforge_users_exist: listed users a host lacks fail naming the variable."""

import re
from pathlib import Path

import pytest
import yaml

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.inventory import labforge_not_lists, labforge_unknown_vars, labforge_users_exist

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


def spec_options():
    """Every role's argument spec options, as the preflight combines them."""
    options = {}
    for path in sorted((Path(__file__).resolve().parents[2] / "roles").glob("*/meta/argument_specs.yml")):
        options.update(yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"])
    return options


def test_every_list_variable_of_every_role_refuses_a_string_and_a_mapping():
    options = spec_options()
    lists = [name for name, spec in options.items() if spec.get("type") == "list"]
    assert "jupyterhub_admin_users" in lists and len(lists) > 20, lists
    for name in lists:
        for value, given in (("teacher", "a string"), ({"name": "teacher"}, "a mapping")):
            message = labforge_not_lists(options, {name: value})
            assert len(message) == 1 and message[0].startswith(f"{name} must be a list, such as ["), message
            assert given in message[0]


def test_a_list_a_missing_variable_and_other_types_pass():
    options = spec_options()
    assert labforge_not_lists(options, {"jupyterhub_admin_users": ["teacher"], "jupyterhub_port": "8000"}) == []


def test_the_message_names_what_was_given_and_the_right_form_but_no_secret():
    options = {"lab_users": {"type": "list"}, "lab_keys": {"type": "list", "no_log": True},
               "lab_instances": {"type": "list", "options": {"token": {"type": "str", "no_log": True}}}}
    assert labforge_not_lists(options, {"lab_users": "teacher"}) == [
        'lab_users must be a list, such as ["teacher"] (got a string "teacher")']
    assert labforge_not_lists(options, {"lab_keys": "s3cret"}) == ["lab_keys must be a list, such as [...] (got a string)"]
    assert labforge_not_lists(options, {"lab_instances": "s3cret"}) == [
        "lab_instances must be a list, such as [...] (got a string)"]
    assert labforge_not_lists(options, {"lab_users": {"name": "ada", "token": "s3cret"}}) == [
        "lab_users must be a list, such as [{...}] (got a mapping with the keys name, token)"]
