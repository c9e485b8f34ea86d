"""jupyter_instances_check: every bad instance fails naming itself and the field; good ones
come back complete."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from jupyter_server.auth.security import passwd_check

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.jupyter_instances import FIELDS, STATES, UIS, jupyter_instances_check

DEFAULTS = {
    "image": "quay.io/jupyter/minimal-notebook:2025-10-20",
    "bind_address": "127.0.0.1",
    "memory": "2g",
    "cpus": 2,
    "pids_limit": 512,
    "ui": "lab",
    "base_url": "/",
    "port_range": [8888, 8999],
}
TOKEN = "a-token-of-at-least-16"


def check(instances, **kwargs):
    return jupyter_instances_check(instances, DEFAULTS, **kwargs)


def test_defaults_fill_a_minimal_instance():
    [alice] = check([{"name": "alice", "token": TOKEN}])
    assert alice["port"] == 8888
    assert alice["unit"] == "labforge-jupyter@alice.service"
    assert alice["container"] == "labforge-jupyter-alice"
    assert alice["image"]["name"] == "quay.io/jupyter/minimal-notebook:2025-10-20"
    assert alice["memory"] == 2 * 1024**3
    assert alice["cpus"] == "2"
    assert alice["volume"] == {"type": "volume", "source": "jupyter-alice"}
    assert alice["auth"] == "token" and alice["token"] == TOKEN
    assert alice["gpus"] is None and alice["env"] == {} and alice["state"] == "present"


def test_instance_fields_override_defaults_and_names_are_escaped_for_systemd():
    [lab] = check([{
        "name": "lab-2", "token": TOKEN, "port": 9000, "memory": "512m", "cpus": 0.5,
        "volume": "/srv/jupyter/lab-2/", "ui": "notebook", "base_url": "/lab2", "gpus": "all",
        "env": {"TZ": "UTC", "DEBUG": True}, "image": "127.0.0.1:5000/labforge/jupyter-test:1",
    }])
    assert lab["unit"] == "labforge-jupyter@lab\\x2d2.service"
    assert (lab["port"], lab["memory"], lab["cpus"], lab["ui"], lab["base_url"], lab["gpus"]) == (
        9000, 512 * 1024**2, "0.5", "notebook", "/lab2/", "all")
    assert lab["volume"] == {"type": "path", "source": "/srv/jupyter/lab-2"}
    assert lab["env"] == {"TZ": "UTC", "DEBUG": "true"}
    assert lab["image"]["registry"] == "127.0.0.1:5000"


def test_plain_password_is_hashed_for_jupyter_and_kept_when_it_still_matches():
    [first] = check([{"name": "bob", "password": "s3cret-pass"}])
    assert first["auth"] == "password" and passwd_check(first["password_hash"], "s3cret-pass")
    [again] = check([{"name": "bob", "password": "s3cret-pass"}], previous_hashes={"bob": first["password_hash"]})
    assert again["password_hash"] == first["password_hash"]
    [changed] = check([{"name": "bob", "password": "other-pass"}], previous_hashes={"bob": first["password_hash"]})
    assert changed["password_hash"] != first["password_hash"] and passwd_check(changed["password_hash"], "other-pass")


def test_prehashed_password_is_used_as_is():
    hashed = check([{"name": "bob", "password": "pw-123456"}])[0]["password_hash"]
    assert check([{"name": "carol", "password": hashed}])[0]["password_hash"] == hashed


def test_absent_instances_need_no_auth_and_get_no_port():
    instances = check([{"name": "gone", "state": "absent"}, {"name": "kept", "token": TOKEN}])
    assert "port" not in instances[0] and instances[1]["port"] == 8888


def test_automatic_instances_keep_their_recorded_ports():
    ports = [i["port"] for i in check(
        [{"name": "a", "token": TOKEN}, {"name": "b", "token": TOKEN}], previous_ports={"b": 8888})]
    assert ports == [8889, 8888]


@pytest.mark.parametrize(
    ("instances", "kwargs", "message"),
    [
        ([{"name": "a", "token": TOKEN, "port": 9000}, {"name": "b", "token": TOKEN, "port": 9000}], {},
         "jupyter_instances: instances 'a' and 'b' both ask for port 9000"),
        ([{"name": "a", "token": TOKEN}], {"busy_ports": [{"port": 8888, "process": "nginx"}]},
         "jupyter_instances[a]: port 8888 is already in use on this host by nginx"),
        ([{"name": "a", "token": TOKEN, "image": "Not/Valid:"}], {}, "jupyter_instances[a]: image:"),
        ([{"name": "a", "token": TOKEN, "memory": "12XB"}], {}, "jupyter_instances[a]: memory:"),
        ([{"name": "a", "token": TOKEN, "memory": "1k"}], {}, "below Docker's minimum"),
        ([{"name": "a"}], {}, "jupyter_instances[a]: no way to authenticate"),
        ([{"name": "a", "token": TOKEN, "password": "x"}], {}, "set only one of token, token_file or password"),
        ([{"name": "a", "token": "short"}], {}, "token must be at least 16"),
        ([{"name": "a", "token_file": "relative"}], {}, "token_file must be an absolute path"),
        ([{"name": "a", "token": TOKEN}, {"name": "a", "token": TOKEN}], {}, "jupyter_instances[a]: two instances"),
        ([{"name": "Alice", "token": TOKEN}], {}, "jupyter_instances[0]: name must be"),
        ([{"name": "a", "token": TOKEN, "colour": "red"}], {}, "unknown field(s) colour"),
        ([{"name": "a", "token": TOKEN, "bind_address": "localhost"}], {}, "bind_address must be an IPv4 or IPv6"),
        ([{"name": "a", "token": TOKEN, "volume": "/etc"}], {}, "is a system directory"),
        ([{"name": "a", "token": TOKEN, "volume": "bad name"}], {}, "volume must be a docker volume name"),
        ([{"name": "a", "token": TOKEN, "volume": "/srv/with space"}], {}, "jupyter_instances[a]: volume '/srv/with space' may"),
        ([{"name": "a", "token": TOKEN, "volume": "/srv/a,b"}], {}, "may hold only letters, digits"),
        ([{"name": "a", "token": TOKEN, "cpus": "two"}], {}, "cpus must be a number"),
        ([{"name": "a", "token": TOKEN, "pids_limit": 1}], {}, "pids_limit must be an integer of at least 16"),
        ([{"name": "a", "token": TOKEN, "gpus": "some"}], {}, "gpus must be 'all'"),
        ([{"name": "a", "token": TOKEN, "env": {"JUPYTER_TOKEN": "x"}}], {}, "env JUPYTER_TOKEN is set by the role"),
        ([{"name": "a", "token": TOKEN, "env": {"A B": "x"}}], {}, "env name 'A B' must match"),
        ([{"name": "a", "token": TOKEN, "ui": "classic"}], {}, "ui must be one of lab, notebook"),
        ([{"name": "a", "token": TOKEN, "base_url": "lab/"}], {}, "base_url must be a URL path"),
        ([{"name": "a", "token": TOKEN, "state": "running"}], {}, "state must be one of present, stopped, absent"),
        ([{"name": "a", "token": TOKEN, "purge_data": "yes"}], {}, "purge_data must be true or false"),
        ("alice", {}, "jupyter_instances must be a list"),
    ],
)
def test_bad_input_names_the_instance_and_field(instances, kwargs, message):
    with pytest.raises(LabforgeFilterError) as error:
        check(instances, **kwargs)
    assert message in str(error.value)


def test_secret_values_never_appear_in_errors():
    with pytest.raises(LabforgeFilterError) as error:
        check([{"name": "a", "token": "tiny-secret"}])
    assert "tiny-secret" not in str(error.value)


@pytest.mark.parametrize("process", ["docker-proxy", "dockerd"])
def test_docker_holding_the_same_instances_port_is_not_a_clash(process):
    busy = [{"port": 8888, "process": process}]
    [a] = check([{"name": "a", "token": TOKEN}], previous_ports={"a": 8888}, busy_ports=busy)
    assert a["port"] == 8888
    with pytest.raises(LabforgeFilterError, match=f"port 8888 is already in use on this host by {process}"):
        check([{"name": "b", "token": TOKEN}], previous_ports={"a": 8888}, busy_ports=busy)


def test_ss_listeners_reads_ports_and_programs():
    from labforge_filters.jupyter_instances import ss_listeners

    text = (
        'LISTEN 0 4096 127.0.0.1:8888 0.0.0.0:* users:(("nginx",pid=10,fd=6))\n'
        "LISTEN 0 128 [::]:22 [::]:*\n"
        "garbage\n"
    )
    assert ss_listeners(text) == [{"port": 8888, "process": "nginx"}, {"port": 22, "process": "another program"}]


def test_a_mapping_given_for_the_list_is_shown_without_its_secrets():
    with pytest.raises(LabforgeFilterError) as error:
        check({"name": "alice", "token": "secret-token-0123456789", "password": "pa55word-x"})
    assert "must be a list of instances" in str(error.value) and "'name': 'alice'" in str(error.value)
    assert "secret-token-0123456789" not in str(error.value) and "pa55word-x" not in str(error.value)


def test_a_missing_name_is_reported_as_required():
    with pytest.raises(LabforgeFilterError, match=r"jupyter_instances\[0\]: name is required"):
        check([{"token": TOKEN}])


HOST = {"cpus": 2, "memory": 4 * 2**30, "gpus": 0, "paths": {"/srv/file": "file", "/srv/dir": "directory"}}


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        ({"cpus": 999}, "jupyter_instances[a]: cpus 999 is more than the 2 CPU(s) of this host; Docker accepts 0.01 to 2"),
        ({"memory": "5g"}, "jupyter_instances[a]: memory '5g' is more than this host's 4096 MiB"),
        ({"gpus": "all"}, "jupyter_instances[a]: gpus 'all' asks for GPU(s) this host does not have (it has 0)"),
        ({"gpus": 1}, "asks for GPU(s) this host does not have"),
        ({"volume": "/srv/file"}, "jupyter_instances[a]: volume /srv/file is a file on this host"),
    ],
    ids=["cpus", "memory", "gpus-all", "gpus-count", "volume-is-a-file"],
)
def test_an_instance_must_fit_the_host(instance, message):
    with pytest.raises(LabforgeFilterError) as error:
        check([{"name": "a", "token": TOKEN, **instance}], host=HOST)
    assert message in str(error.value)


def test_what_fits_the_host_passes():
    ok = [{"name": "a", "token": TOKEN, "cpus": 2, "memory": "4g", "volume": "/srv/dir"},
          {"name": "b", "token": TOKEN, "volume": "/srv/new"},
          {"name": "s", "token": TOKEN, "gpus": "device=0,1", "state": "stopped"}]
    assert len(check(ok, host=HOST)) == 3
    with_gpus = {**HOST, "gpus": 2}
    assert check([{"name": "g", "token": TOKEN, "gpus": "device=0,1"}], host=with_gpus)[0]["gpus"] == "device=0,1"
    with pytest.raises(LabforgeFilterError, match="does not have"):
        check([{"name": "g", "token": TOKEN, "gpus": "device=1,2"}], host=with_gpus)
    assert len(check([{"name": "a", "token": TOKEN, "cpus": 999}])) == 1  # the preflight knows no host


SECRETS = {"token": "tok-secret-0123456789abcdef", "password": "pw-secret-0123456789"}
MALFORMED = st.one_of(st.none(), st.integers(), st.text(max_size=12), st.lists(st.integers(), max_size=2),
                      st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@given(st.sampled_from(sorted(SECRETS)), st.sampled_from(sorted(FIELDS - {"token", "password", "token_file"})),
       MALFORMED, st.booleans())
def test_no_error_path_shows_a_token_or_password(secret_field, field, value, as_mapping):
    """Any field malformed, with a secret beside it, in a list or given as a mapping: the error
    never holds the secret."""
    instance = {"name": "a", secret_field: SECRETS[secret_field], field: value}
    try:
        check(instance if as_mapping else [instance, {"name": "b", "token": SECRETS["token"]}])
    except LabforgeFilterError as error:
        for secret in SECRETS.values():
            assert secret not in str(error)


# The role's argument spec declares the fields (and documents them); the filter checks their
# values. The two name the same fields and choices.
SPEC = yaml.safe_load((Path(__file__).parents[2] / "roles/jupyter/meta/argument_specs.yml").read_text())
FIELD_SPEC = SPEC["argument_specs"]["main"]["options"]["jupyter_instances"]["options"]


def test_the_argument_spec_declares_exactly_the_fields_the_filter_accepts():
    assert set(FIELD_SPEC) == FIELDS


def test_the_argument_spec_offers_the_choices_the_filter_accepts():
    assert tuple(FIELD_SPEC["state"]["choices"]) == STATES
    assert tuple(FIELD_SPEC["ui"]["choices"]) == UIS


def test_the_argument_spec_hides_the_secret_fields():
    assert {name for name, field in FIELD_SPEC.items() if field.get("no_log")} == {"token", "password"}


def test_only_name_is_required_by_the_spec():
    assert [name for name, field in FIELD_SPEC.items() if field.get("required")] == ["name"]
