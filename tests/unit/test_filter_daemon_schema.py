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


# --------------------------------------------------------------------------- meaning, not only type

import ipaddress  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from labforge_filters.daemon_schema import LOG_DRIVERS, docker_daemon_check_merged  # noqa: E402

MIRRORS = "docker_engine_registry_mirrors"


def refused(settings, variable="cfg", stands_for=""):
    with pytest.raises(LabforgeFilterError) as error:
        docker_daemon_check(settings, variable, (), stands_for)
    return str(error.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"registry-mirrors": ["http://10.0.0.1:5000", "https://mirror.lab.example/", "http://[::1]:5000", "http://h"]},
        {"insecure-registries": ["registry.lab.example:5000", "10.0.0.0/8", "172.17.0.1:5000", "::1", "[::1]:5000"]},
        {"allow-nondistributable-artifacts": ["myregistry:5000"]},
        {"data-root": "/srv/docker", "exec-root": "/run/docker", "pidfile": "/run/docker.pid"},
        {"default-address-pools": [{"base": "10.213.0.0/16", "size": 24}, {"base": "10.214.0.0/16", "size": 16}]},
        {"default-address-pools": [{"base": "fd00:1::/48", "size": 64}, {"base": "10.0.0.0/8", "size": 32}]},
        {"log-driver": "local", "log-opts": {"max-size": "20m", "max-file": "10", "compress": "false"}},
        {"log-driver": "journald", "log-opts": {"tag": "{{.Name}}", "mode": "non-blocking", "max-buffer-size": "4m"}},
        {"log-driver": "syslog", "log-opts": {"syslog-address": "udp://10.0.0.1:514", "tag": "x"}},
        {"log-driver": "none"},
        {"runtimes": {"nvidia": {"path": "nvidia-container-runtime", "runtimeArgs": []}, "crun": {"path": "/usr/bin/crun"}}},
        {"dns": ["10.0.0.2", "fd00::53"], "dns-search": ["lab.example"], "labels": ["lab=physics", "empty="]},
        {"storage-driver": "overlay2", "mtu": 1450, "max-download-attempts": 5, "max-concurrent-downloads": 0},
        {"data-root": None, "registry-mirrors": None},
    ],
)
def test_values_dockerd_takes_pass(settings):
    assert docker_daemon_check(settings, "cfg") == settings


@pytest.mark.parametrize(
    ("settings", "stands_for", "message"),
    [
        ({"registry-mirrors": ["not a url"]}, "registry-mirrors",
         "docker_engine_registry_mirrors[0] is 'not a url', its scheme '' is not http or https; accepted: an http://"),
        ({"registry-mirrors": ["http://ok:5000", "mirror.lab:5000"]}, "registry-mirrors",
         "docker_engine_registry_mirrors[1] is 'mirror.lab:5000'"),
        ({"registry-mirrors": ["ftp://h"]}, "registry-mirrors", "its scheme 'ftp' is not http or https"),
        ({"registry-mirrors": ["http://h/v2/"]}, "registry-mirrors", "a path, query or fragment after the host"),
        ({"registry-mirrors": ["http://h?x=1"]}, "registry-mirrors", "a path, query or fragment after the host"),
        ({"registry-mirrors": ["http://"]}, "registry-mirrors", "is not a host[:port]"),
        ({"registry-mirrors": ["http://h:0"]}, "registry-mirrors", "is not a host[:port]"),
        ({"registry-mirrors": ["http://h:70000"]}, "registry-mirrors", "not a URL with a port from 1 to 65535"),
        ({"registry-mirrors": ["http://bad_host"]}, "registry-mirrors", "'bad_host' is not a host[:port]"),
        ({"registry-mirrors": ["http://u@h"]}, "registry-mirrors", "a user or password is not allowed"),
    ],
)
def test_mirrors_dockerd_refuses_fail_naming_the_item(settings, stands_for, message):
    assert message in refused(settings, MIRRORS, stands_for)


def test_a_mirror_password_is_never_shown():
    message = refused({"registry-mirrors": ["https://ops:s3cret-pw@mirror:5000"]}, MIRRORS, "registry-mirrors")
    assert "s3cret-pw" not in message
    assert "https://ops:xxxxx@mirror:5000" in message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://registry:5000", "a scheme is not allowed here"),
        ("registry:5000/path", "not a host[:port] nor a network in CIDR notation"),
        ("10.0.0.0/33", "not a host[:port] nor a network in CIDR notation"),
        ("registry:99999", "not a host[:port]"),
        ("reg istry", "not a host[:port]"),
        ("-registry", "not a host[:port]"),
    ],
)
def test_insecure_registries_are_host_port_or_cidr(value, message):
    text = refused({"insecure-registries": [value]}, "docker_engine_insecure_registries", "insecure-registries")
    assert text.startswith("docker_engine_insecure_registries[0] is ")
    assert message in text
    assert "accepted: host or host:port" in text


@pytest.mark.parametrize("key", ["data-root", "exec-root", "pidfile", "tlscacert", "init-path"])
@pytest.mark.parametrize("value", ["docker", "./docker", "var/lib/docker", "", "/srv/../etc", "/srv/do\ncker"])
def test_paths_must_be_absolute(key, value):
    assert "accepted: an absolute path" in refused({key: value}, "cfg")


def test_a_relative_data_root_names_the_variable():
    text = refused({"data-root": "docker"}, "docker_engine_data_root", "data-root")
    assert text.startswith("docker_engine_data_root is 'docker', a relative path")


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([{"base": "10.0.0.0/16", "size": 8}], "[0].size is 8; accepted: a prefix length from the base's /16 to 32"),
        ([{"base": "10.0.0.0/16", "size": 33}], "[0].size is 33"),
        ([{"base": "fd00::/48", "size": 129}], "to 128"),
        ([{"base": "10.0.0.1/16", "size": 24}], "[0].base is '10.0.0.1/16', not a network address"),
        ([{"base": "10.0.0.0", "size": 24}], "not a network address with its prefix; did you mean '10.0.0.0/32'"),
        ([{"base": "ten/8", "size": 24}], "[0].base is 'ten/8', not a network in CIDR notation"),
        ([{"base": "10.0.0.0/8", "size": 24}, {"base": "10.1.0.0/16", "size": 24}],
         "[1].base 10.1.0.0/16 overlaps pool [0] (10.0.0.0/8)"),
        ([{"base": "10.0.0.0/8", "size": 24, "gateway": "x"}], "nothing else"),
    ],
)
def test_address_pools_are_checked_for_meaning(pools, message):
    text = refused({"default-address-pools": pools}, "docker_engine_default_address_pools", "default-address-pools")
    assert text.startswith("docker_engine_default_address_pools[")
    assert message in text


@given(st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=8, unique=True),
       st.integers(min_value=16, max_value=32))
def test_disjoint_pools_pass_and_any_repeat_overlaps(octets, size):
    pools = [{"base": f"10.{octet}.0.0/16", "size": size} for octet in octets]
    assert docker_daemon_check({"default-address-pools": pools})["default-address-pools"] == pools
    again = [*pools, {"base": f"10.{octets[-1]}.{size}.0/24", "size": max(size, 24)}]
    assert "overlaps pool" in refused({"default-address-pools": again}, "cfg")


@given(st.ip_addresses(v=4), st.integers(min_value=1, max_value=32), st.integers(min_value=0, max_value=32))
def test_pool_size_accepted_exactly_from_the_base_prefix_to_32(address, prefix, size):
    base = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    settings = {"default-address-pools": [{"base": base, "size": size}]}
    if prefix <= size:
        assert docker_daemon_check(settings) == settings
    else:
        assert f"size is {size}" in refused(settings)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"log-opts": {"max-size": "0"}}, "log-opts.max-size is '0'; accepted: a size above 0"),
        ({"log-opts": {"max-size": "ten megs"}}, "log-opts.max-size is 'ten megs'"),
        ({"log-opts": {"max-size": "-1m"}}, "log-opts.max-size is '-1m'"),
        ({"log-opts": {"max-file": "0"}}, "log-opts.max-file is '0'; accepted: a positive integer as a string"),
        ({"log-opts": {"max-file": "three"}}, "log-opts.max-file is 'three'"),
        ({"log-opts": {"max-file": "1.5"}}, "log-opts.max-file is '1.5'"),
        ({"log-opts": {"compress": "yes"}}, "log-opts.compress is 'yes'; accepted: 'true' or 'false'"),
        ({"log-opts": {"mode": "async"}}, "log-opts.mode is 'async'"),
        ({"log-opts": {"max-sise": "10m"}}, "'max-sise' is no option of any log driver dockerd knows"),
        ({"log-driver": "journald", "log-opts": {"max-size": "10m"}},
         "the journald log driver has no option 'max-size'; accepted: labels"),
        ({"log-driver": "none", "log-opts": {"mode": "blocking"}}, "the none log driver has no option 'mode'; accepted: none"),
        ({"log-driver": "jsonfile"}, "log-driver is 'jsonfile', not a log driver built into dockerd; accepted: json-file"),
        ({"storage-driver": "overlay3"}, "storage-driver is 'overlay3'; accepted: overlay2"),
        ({"runtimes": {"runc": {"path": "/usr/bin/runc"}}}, "runtimes.runc: the runtime name 'runc' is dockerd's own"),
        ({"runtimes": {"x": {"path": "bin/x"}}}, "runtimes.x.path is a string 'bin/x'; accepted: an absolute path"),
        ({"runtimes": {"x": {"runtimeArgs": []}}}, "runtimes.x needs 'path'"),
        ({"runtimes": {"x": {"path": "/x", "runtimeArgs": "--debug"}}}, "runtimes.x.runtimeArgs must be a list"),
        ({"runtimes": {"x": {"pth": "/x"}}}, "runtimes.x must be a mapping of path, runtimeArgs"),
        ({"dns": ["dns.lab.example"]}, "dns[0] is 'dns.lab.example', not an IP address"),
        ({"dns-search": ["lab example"]}, "dns-search[0] is 'lab example', not a domain name"),
        ({"labels": ["lab"]}, "labels[0] is 'lab', not key=value"),
        ({"mtu": -1}, "mtu is -1; accepted: 0 or more"),
        ({"mtu": 70000}, "mtu is 70000; accepted: 0 (the default) to 65535"),
        ({"max-download-attempts": 0}, "max-download-attempts is 0; accepted: 1 or more"),
    ],
)
def test_other_values_dockerd_refuses_fail_naming_key_and_value(settings, message):
    text = refused(settings, "docker_engine_daemon_config")
    assert text.startswith("docker_engine_daemon_config: ")
    assert message in text


@given(st.integers(min_value=-5, max_value=10**6))
def test_max_file_is_any_positive_integer_string(number):
    settings = {"log-opts": {"max-file": str(number)}}
    if number >= 1:
        assert docker_daemon_check(settings) == settings
    else:
        assert "accepted: a positive integer" in refused(settings)


@pytest.mark.parametrize("driver", sorted(LOG_DRIVERS))
def test_a_log_option_value_that_may_be_a_secret_is_never_shown(driver):
    secret = "tok-7f3a9c"
    for settings in ({"log-driver": driver, "log-opts": {"splunk-token": secret, "bogus-token": secret}},
                     {"log-opts": {"bogus-token": secret}}):
        with pytest.raises(LabforgeFilterError) as error:
            docker_daemon_check(settings, "cfg")
        assert "-token" in str(error.value)
        assert secret not in str(error.value)


def test_merged_settings_are_blamed_on_the_layer_that_set_the_key():
    layers = {
        "docker_engine_daemon_defaults": {"log-driver": "json-file", "log-opts": {"max-size": "10m"}},
        "docker_engine_default_address_pools": {"default-address-pools": [{"base": "10.0.0.0/8", "size": 24}]},
        "docker_engine_daemon_config": {"default-address-pools": [{"base": "10.5.0.0/16", "size": 24}]},
        "docker_engine_daemon_config_host": {"log-driver": "journald"},
    }
    merged = {"log-driver": "journald", "log-opts": {"max-size": "10m"},
              "default-address-pools": [{"base": "10.0.0.0/8", "size": 24}]}
    with pytest.raises(LabforgeFilterError, match=r"^docker_engine_daemon_config_host: log-opts.max-size: the journald"):
        docker_daemon_check_merged(merged, layers)
    merged = {"default-address-pools": [{"base": "10.0.0.0/8", "size": 24}, {"base": "10.5.0.0/16", "size": 24}]}
    with pytest.raises(LabforgeFilterError, match=r"^docker_engine_daemon_config \(merged with the other layers\): default-address-pools\[1\].base 10.5"):
        docker_daemon_check_merged(merged, layers)
    with pytest.raises(LabforgeFilterError, match="labels 'lab=a' and 'lab=b' give one key two values"):
        docker_daemon_check_merged({"labels": ["lab=a", "lab=b"]}, {"docker_engine_daemon_config": {"labels": ["lab=b"]}})
    with pytest.raises(LabforgeFilterError, match="^the host's daemon.json: default-runtime is 'nvidia', which no runtime"):
        docker_daemon_check_merged({"default-runtime": "nvidia"}, layers)
    good = {"default-runtime": "nvidia", "runtimes": {"nvidia": {"path": "nvidia-container-runtime"}},
            "labels": ["lab=a", "lab=a"], "log-opts": {"max-size": "10m"}}
    assert docker_daemon_check_merged(good, layers) == good
    assert docker_daemon_check_merged({"log-opts": {"x": "1"}}, {}, ["log-opts"]) == {"log-opts": {"x": "1"}}


def test_every_layer_is_checked_in_one_call_naming_its_variable():
    from labforge_filters.daemon_schema import docker_daemon_check_layers

    good = {"docker_engine_daemon_defaults": {"live-restore": True}, "docker_engine_data_root": {}}
    assert docker_daemon_check_layers(good) == good
    bad = {**good, "docker_engine_registry_mirrors": {"registry-mirrors": ["not a url"]}}
    with pytest.raises(LabforgeFilterError, match=r"^docker_engine_registry_mirrors\[0\] is 'not a url'"):
        docker_daemon_check_layers(bad, [], {"docker_engine_registry_mirrors": "registry-mirrors"})
    secret = {"docker_engine_daemon_config": {"live-restore": "yes", "proxies": {"http-proxy": "http://u:pw-0123@p:3128"}}}
    with pytest.raises(LabforgeFilterError) as error:
        docker_daemon_check_layers(secret)
    assert "live-restore" in str(error.value) and "pw-0123" not in str(error.value)
    with pytest.raises(LabforgeFilterError, match="must be a mapping of variable names"):
        docker_daemon_check_layers(["not", "layers"])
