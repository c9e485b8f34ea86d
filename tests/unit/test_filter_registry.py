"""The registry_mirror role's filters: its caches (one per upstream), image references pulled
through them, and the blobs of image manifests for the prefetch."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.image_ref import parse_image_ref
from labforge_filters.registry import (
    registry_manifest_blobs,
    registry_mirror_endpoints,
    registry_mirror_files,
    registry_mirror_image,
    registry_mirror_plan,
    registry_mirror_stale,
    registry_mirror_units,
)

A, B, C = ("sha256:" + c * 64 for c in "abc")
NO_SHORTHAND = {"url": "", "port": 5000, "username": "", "password": "", "prefetch": []}


def result(repository: str, manifest: object, base: str = "http://127.0.0.1:5000") -> dict[str, object]:
    return {"url": f"{base}/v2/{repository}/manifests/1", "json": manifest}


def test_config_then_layers_each_once_per_registry_and_repository():
    manifests = [
        result("team/app", {"config": {"digest": A}, "layers": [{"digest": B}, {"digest": C}, {"digest": B}]}),
        result("other", {"config": {"digest": A}, "layers": []}),
        result("team/app", {"config": {"digest": A}, "layers": []}, "http://127.0.0.1:5001"),
    ]
    local = "http://127.0.0.1:5000"
    assert registry_manifest_blobs(manifests) == [
        {"base": local, "repository": "team/app", "digest": A},
        {"base": local, "repository": "team/app", "digest": B},
        {"base": local, "repository": "team/app", "digest": C},
        {"base": local, "repository": "other", "digest": A},
        {"base": "http://127.0.0.1:5001", "repository": "team/app", "digest": A},
    ]


def test_nothing_in_nothing_out():
    assert registry_manifest_blobs([]) == []


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ("not a list", "expected a list of manifest results"),
        ([{"json": {}}], "each manifest result needs a url"),
        ([{"url": "http://x/v2/a/blobs/" + A, "json": {}}], "is not a manifest URL"),
        ([result("a", {"manifests": [{"digest": A}]})], "a multi-platform index; give the manifest of one platform"),
        ([result("a", None)], "no image manifest"),
        ([result("a", {"config": {"digest": "md5:00"}, "layers": []})], "without a sha256 digest"),
    ],
)
def test_bad_input_names_what_is_wrong(results, message):
    with pytest.raises(LabforgeFilterError, match=message):
        registry_manifest_blobs(results)


# --------------------------------------------------------------------------- registry_mirror_plan


def plan(upstreams, shorthand=None, **settings):
    return registry_mirror_plan(upstreams, shorthand or NO_SHORTHAND, settings or None)


def test_one_cache_per_upstream_each_with_its_unit_config_storage_and_port():
    caches = plan(
        [{"url": "https://registry-1.docker.io/", "port": 5000},
         {"url": "https://quay.io", "port": 5001, "prefetch": ["jupyter/scipy-notebook:2025-10-20"]},
         {"url": "http://10.0.0.7:5000", "port": 5002, "username": "lab", "password": "secret"}],
        storage_dir="/srv/cache/", config_dir="/etc/docker/registry/mirrors", listen_address="0.0.0.0",
    )
    assert [(c["name"], c["url"], c["port"]) for c in caches] == [
        ("docker.io", "https://registry-1.docker.io", 5000),
        ("quay.io", "https://quay.io", 5001),
        ("10.0.0.7:5000", "http://10.0.0.7:5000", 5002),
    ]
    quay = caches[1]
    assert quay["unit"] == "labforge-registry-mirror@5001.service"
    assert quay["config"] == "/etc/docker/registry/mirrors/5001.yml"
    assert quay["storage"] == "/srv/cache/quay.io"
    assert quay["blob_dir"] == "/srv/cache/quay.io/docker/registry/v2/blobs/sha256"
    assert (quay["listen"], quay["local_url"]) == ("0.0.0.0:5001", "http://127.0.0.1:5001")
    assert quay["prefetch"] == ["jupyter/scipy-notebook:2025-10-20"]
    assert quay["prefetch_manifests"] == ["http://127.0.0.1:5001/v2/jupyter/scipy-notebook/manifests/2025-10-20"]
    assert (caches[2]["username"], caches[2]["password"]) == ("lab", "secret")
    assert caches[0]["variable"] == "registry_mirror_upstreams[0]"


def test_the_single_upstream_variables_make_the_first_cache():
    shorthand = {"url": "http://172.17.0.1:5000", "port": 5000, "username": "", "password": "",
                 "prefetch": ["labforge/hello:1"]}
    caches = plan([{"url": "https://quay.io", "port": 5001}], shorthand)
    assert [(c["name"], c["port"], c["prefetch"]) for c in caches] == [
        ("172.17.0.1:5000", 5000, ["labforge/hello:1"]), ("quay.io", 5001, []),
    ]


@pytest.mark.parametrize(
    ("address", "listen", "local"),
    [("::", "[::]:5000", "http://[::1]:5000"), ("10.1.2.3", "10.1.2.3:5000", "http://10.1.2.3:5000"),
     ("fd00::5", "[fd00::5]:5000", "http://[fd00::5]:5000")],
)
def test_listen_address_and_how_the_host_reaches_the_cache(address, listen, local):
    (cache,) = plan([{"url": "https://quay.io", "port": 5000}], listen_address=address)
    assert (cache["listen"], cache["local_url"]) == (listen, local)


def test_a_name_tells_two_caches_of_one_host_apart():
    caches = plan([{"url": "https://registry.example.org", "port": 5000},
                   {"url": "https://registry.example.org", "port": 5001, "name": "mirror-b.example.org"}])
    assert [c["name"] for c in caches] == ["registry.example.org", "mirror-b.example.org"]


@pytest.mark.parametrize(
    ("upstreams", "shorthand", "message"),
    [
        ([{"url": "ftp://registry.example.org", "port": 5000}], None,
         "registry_mirror_upstreams[0].url must be the URL of the registry to cache: http:// or https://"),
        ([{"url": "https://registry.example.org/v2/", "port": 5000}], None, "no path"),
        ([{"url": "https://registry.example.org:99999", "port": 5000}], None, 'got "https://registry.example.org:99999"'),
        ([{"url": "quay.io", "port": 5000}], None, 'registry_mirror_upstreams[0].url must be'),
        ([{"url": "https://quay.io"}], None, "registry_mirror_upstreams[0].port must be a TCP port, 1-65535; got null"),
        ([{"url": "https://quay.io", "port": 0}], None, "port must be a TCP port, 1-65535; got 0"),
        ([{"url": "https://quay.io", "port": True}], None, "port must be a TCP port, 1-65535; got true"),
        ([{"url": "https://quay.io", "port": 5000, "prot": 1}], None, "unknown field(s) prot; accepted: url, port"),
        ([{"url": "https://quay.io", "port": 5000, "name": "quay"}], None, "registry_mirror_upstreams[0].name must be the registry"),
        ([{"url": "https://quay.io", "port": 5000, "username": "lab"}], None,
         "registry_mirror_upstreams[0].username and registry_mirror_upstreams[0].password go together"),
        ([{"url": "https://quay.io", "port": 5000, "prefetch": ["quay.io/jupyter/x:1"]}], None,
         'registry_mirror_upstreams[0].prefetch: ["quay.io/jupyter/x:1"] must be repository:tag as named at the upstream'),
        ([{"url": "https://quay.io", "port": 5000, "prefetch": "jupyter/x:1"}], None, "prefetch must be a list"),
        ([{"url": "https://quay.io", "port": 5000}, {"url": "https://ghcr.io", "port": 5000}], None,
         "registry_mirror_upstreams[0] and registry_mirror_upstreams[1] both ask for port 5000; "
         "each upstream needs a port of its own"),
        ([{"url": "https://quay.io", "port": 5001}, {"url": "https://quay.io/", "port": 5002}], None,
         "are both the registry quay.io"),
        ([], None, "no registry to cache: set registry_mirror_upstreams"),
        ("quay.io", None, "registry_mirror_upstreams must be a list of upstreams"),
        (["https://quay.io"], None, "registry_mirror_upstreams[0] must be a mapping with url and port"),
        ([{"url": "https://quay.io", "port": 5000}], {**NO_SHORTHAND, "url": "https://ghcr.io"},
         "registry_mirror_upstream (registry_mirror_port 5000) and registry_mirror_upstreams[0] both ask for port 5000"),
        ([], {**NO_SHORTHAND, "url": "ftp://x.example"}, "registry_mirror_upstream must be the URL"),
        ([], {**NO_SHORTHAND, "url": "https://x.example", "port": 70000},
         "registry_mirror_port must be a TCP port, 1-65535; got 70000"),
        ([], {**NO_SHORTHAND, "url": "https://x.example", "password": "p"},
         "registry_mirror_username and registry_mirror_password go together"),
        ([], {**NO_SHORTHAND, "url": "https://x.example", "prefetch": ["Team/App:1"]},
         "registry_mirror_prefetch: [\"Team/App:1\"] must be repository:tag"),
        ([{"url": "https://quay.io", "port": 5001}], {**NO_SHORTHAND, "prefetch": ["team/app:1"]},
         "registry_mirror_prefetch lists images of registry_mirror_upstream, which is not set"),
    ],
)
def test_bad_upstreams_fail_naming_the_variable_and_what_is_accepted(upstreams, shorthand, message):
    with pytest.raises(LabforgeFilterError) as caught:
        plan(upstreams, shorthand)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"listen_address": "everywhere"}, "registry_mirror_listen_address must be an IPv4 or IPv6 address"),
     ({"listen_address": "300.1.1.1"}, 'got "300.1.1.1"'),
     ({"storage_dir": "cache"}, 'registry_mirror_storage_dir must be an absolute path; got "cache"')],
)
def test_bad_settings_fail_naming_the_variable(settings, message):
    with pytest.raises(LabforgeFilterError, match=message):
        plan([{"url": "https://quay.io", "port": 5000}], **settings)


def test_a_password_never_appears_in_an_error():
    with pytest.raises(LabforgeFilterError) as caught:
        plan([{"url": "https://quay.io", "port": 5000, "password": "s3cret-pass"}])
    assert "s3cret-pass" not in str(caught.value)


# --------------------------------------------------------------------------- stale caches and units


def test_caches_no_longer_planned_are_stale_other_units_are_left_alone():
    caches = plan([{"url": "https://quay.io", "port": 5001}], config_dir="/etc/docker/registry/mirrors")
    wants = "/etc/systemd/system/multi-user.target.wants"
    found = [f"{wants}/labforge-registry-mirror@5001.service", f"{wants}/labforge-registry-mirror@5000.service",
             f"{wants}/docker.service"]
    assert registry_mirror_stale(found, caches, "/etc/docker/registry/mirrors/") == [
        {"unit": "labforge-registry-mirror@5000.service", "config": "/etc/docker/registry/mirrors/5000.yml"},
    ]


def test_units_get_the_state_and_enablement_asked_for():
    assert registry_mirror_units(["a.service", "b.service"], "started", True) == [
        {"name": "a.service", "state": "started", "enabled": True},
        {"name": "b.service", "state": "started", "enabled": True},
    ]
    assert registry_mirror_units(["a.service"], "restarted") == [{"name": "a.service", "state": "restarted"}]
    with pytest.raises(LabforgeFilterError, match="expected a list of unit names"):
        registry_mirror_units("a.service")


# --------------------------------------------------------------------------- endpoints and image references

UPSTREAMS = [{"url": "https://registry-1.docker.io", "port": 5000}, {"url": "https://quay.io", "port": 5001}]
MIRRORS = {"docker.io": "mirror.lab.example:5000", "quay.io": "mirror.lab.example:5001"}


def test_endpoints_map_each_registry_to_its_cache_on_the_mirror_host():
    assert registry_mirror_endpoints(UPSTREAMS, "mirror.lab.example") == MIRRORS
    assert registry_mirror_endpoints(UPSTREAMS[1:], "fd00::5") == {"quay.io": "[fd00::5]:5001"}


@pytest.mark.parametrize("address", ["mirror.lab.example:5000", "http://mirror", "", None])
def test_endpoints_need_a_bare_host_or_address(address):
    with pytest.raises(LabforgeFilterError, match="the mirror's address must be a host name or an IP address"):
        registry_mirror_endpoints(UPSTREAMS, address)


def test_endpoints_check_the_upstreams_as_the_role_does():
    with pytest.raises(LabforgeFilterError, match="both ask for port 5000"):
        registry_mirror_endpoints([UPSTREAMS[0], {**UPSTREAMS[1], "port": 5000}], "mirror.lab.example")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("quay.io/jupyter/scipy-notebook:2025-10-20", "mirror.lab.example:5001/jupyter/scipy-notebook:2025-10-20"),
        ("quay.io/jupyter/scipy-notebook", "mirror.lab.example:5001/jupyter/scipy-notebook:latest"),
        ("quay.io/jupyter/base@" + A, "mirror.lab.example:5001/jupyter/base@" + A),
        ("quay.io/jupyter/base:1@" + A, "mirror.lab.example:5001/jupyter/base:1@" + A),
        ("ubuntu:24.04", "mirror.lab.example:5000/library/ubuntu:24.04"),
        ("docker.io/jupyter/base-notebook:x", "mirror.lab.example:5000/jupyter/base-notebook:x"),
        ("ghcr.io/team/app:1", "ghcr.io/team/app:1"),
        ("mirror.lab.example:5001/jupyter/x:1", "mirror.lab.example:5001/jupyter/x:1"),
    ],
)
def test_image_references_of_a_mirrored_registry_name_the_mirror(ref, expected):
    assert registry_mirror_image(ref, MIRRORS) == expected


def test_no_mirrors_no_change():
    assert registry_mirror_image("quay.io/jupyter/x:1", {}) == "quay.io/jupyter/x:1"


@pytest.mark.parametrize(
    ("ref", "mirrors", "message"),
    [
        ("quay.io/x:1", ["quay.io"], "mirrors must be a mapping of registry names to mirror host:port"),
        ("quay.io/x:1", {"https://quay.io": "m.example:5001"}, "mirrors: key 'https://quay.io' must be the registry"),
        ("quay.io/x:1", {"quay": "m.example:5001"}, "mirrors: key 'quay' must be the registry"),
        ("quay.io/x:1", {"quay.io": "http://m.example:5001"}, r"mirrors\[quay.io\] must be the mirror's host:port"),
        ("quay.io/x:1", {"quay.io": 5001}, r"mirrors\[quay.io\] must be the mirror's host:port"),
        ("quay.io/X:1", MIRRORS, "invalid image reference 'quay.io/X:1'"),
    ],
)
def test_bad_mirrors_or_references_fail_naming_what_is_wrong(ref, mirrors, message):
    with pytest.raises(LabforgeFilterError, match=message):
        registry_mirror_image(ref, mirrors)


_component = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8})?", fullmatch=True)


@given(
    registry=st.sampled_from(["quay.io", "ghcr.io", "registry.lab.example:5000", "docker.io"]),
    path=st.lists(_component, min_size=1, max_size=3).map("/".join),
    tag=st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}", fullmatch=True),
)
def test_rewriting_keeps_repository_and_tag_and_changes_only_mirrored_registries(registry, path, tag):
    ref = f"{registry}/{path}:{tag}"
    mirrors = {"quay.io": "m.example:5001", "registry.lab.example:5000": "m.example:5002"}
    out = parse_image_ref(registry_mirror_image(ref, mirrors))
    original = parse_image_ref(ref)
    assert (out.repository, out.tag) == (original.repository, original.tag)
    assert out.registry == mirrors.get(original.registry, original.registry)


# --------------------------------------------------------------------------- files


FILE_SETTINGS = {"user": "docker-registry", "config_dir": "/etc/docker/registry/mirrors",
                 "storage_dir": "/var/lib/docker-registry", "log_level": "warn", "header": "# managed"}


def test_each_cache_gets_its_storage_and_a_config_keyed_by_its_unit():
    caches = plan([{"url": "https://quay.io", "port": 5001},
                   {"url": "https://registry.example.org", "port": 5002, "username": "lab", "password": "pw\"1"}])
    layout = registry_mirror_files(caches, FILE_SETTINGS)
    assert [d["path"] for d in layout["directories"]] == [
        "/etc/docker/registry/mirrors", "/var/lib/docker-registry",
        "/var/lib/docker-registry/quay.io", "/var/lib/docker-registry/registry.example.org",
    ]
    assert layout["directories"][0]["group"] == "docker-registry"
    (public,), (secret,) = layout["files"], layout["secret_files"]
    assert (public["path"], public["key"], public["mode"]) == (
        "/etc/docker/registry/mirrors/5001.yml", "labforge-registry-mirror@5001.service", "0640")
    config = yaml.safe_load(public["content"])
    assert public["content"].startswith("# managed\n")
    assert config["proxy"] == {"remoteurl": "https://quay.io"}
    assert config["http"]["addr"] == "0.0.0.0:5001"
    assert config["storage"]["filesystem"]["rootdirectory"] == "/var/lib/docker-registry/quay.io"
    assert config["log"]["level"] == "warn"
    assert yaml.safe_load(secret["content"])["proxy"] == {
        "remoteurl": "https://registry.example.org", "username": "lab", "password": "pw\"1"}
