"""docker_daemon_check: what dockerd would refuse fails first, naming the variable and key."""

import pytest

from labforge_filters.daemon_schema import DAEMON_KEYS, docker_daemon_check
from labforge_filters.errors import LabforgeFilterError

HARDENED = {
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "live-restore": True,
    "userland-proxy": False,
    "no-new-privileges": True,
    "icc": False,
    "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 65536, "Hard": 65536}},
    "registry-mirrors": ["http://10.0.0.1:5000"],
    "default-address-pools": [{"base": "10.213.0.0/16", "size": 24}],
    "max-concurrent-downloads": 3,
    "log-level": "info",
}


def test_valid_settings_come_back_unchanged():
    assert docker_daemon_check(HARDENED, "cfg") == HARDENED


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"live-restore": "yes"}, "cfg: 'live-restore' must be a boolean, got a string 'yes'"),
        ({"log-opts": {"max-file": 3}}, "'log-opts' must be a mapping of strings to strings"),
        ({"registry-mirrors": "http://a"}, "'registry-mirrors' must be a list of strings"),
        ({"mtu": True}, "'mtu' must be an integer, got True (boolean)"),
        ({"mtu": "1500"}, "'mtu' must be an integer"),
        ({"log-level": "verbose"}, "'log-level' must be one of debug, info, warn, error, fatal"),
        ({"live-restor": True}, "'live-restor' is not a daemon.json option dockerd knows"),
        ({"default-address-pools": [{"base": "10.0.0.0/8"}]}, "default-address-pools[0] must be a mapping"),
        ({"default-address-pools": [{"base": "10.0.0.0/8", "size": 33}]}, "default-address-pools[0]"),
    ],
)
def test_wrong_settings_fail_naming_variable_key_and_value(settings, message):
    with pytest.raises(LabforgeFilterError) as error:
        docker_daemon_check(settings, "cfg")
    assert message in str(error.value)
    assert str(error.value).startswith("cfg")


def test_not_a_mapping_is_rejected():
    with pytest.raises(LabforgeFilterError, match="docker_engine_daemon_config must be a mapping"):
        docker_daemon_check(["live-restore"], "docker_engine_daemon_config")


def test_extra_keys_pass_unchecked():
    assert docker_daemon_check({"brand-new-option": 1}, "cfg", ["brand-new-option"]) == {"brand-new-option": 1}


def test_every_key_has_a_known_type():
    assert all(isinstance(kind, str) and kind for kind in DAEMON_KEYS.values())
    assert len(DAEMON_KEYS) > 80


@pytest.mark.parametrize(
    "settings",
    [
        {"log-opts": None},
        {"icc": None, "live-restore": None},
        {"log-opts": {"max-file": None, "max-size": "20m"}},
        # a key the operator added by hand, unknown to the role's list: null must still remove it
        {"brand-new-option": None},
    ],
)
def test_null_removes_a_key_and_passes_the_check(settings):
    assert docker_daemon_check(settings, "cfg") == settings


def test_null_does_not_excuse_a_wrong_value_beside_it():
    with pytest.raises(LabforgeFilterError, match="'log-opts' must be a mapping of strings to strings"):
        docker_daemon_check({"icc": None, "log-opts": {"max-file": None, "max-size": 20}}, "cfg")
