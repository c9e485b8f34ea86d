"""registry_mirror on a real systemd host: one cache per upstream, each its own unit on its own
port; the cache of the rig's registry fetches a manifest and a blob, keeps them and serves them
again with the upstream cut off; the second upstream's image was prefetched; bad input is
refused before anything changes.

The tests run in file order: the offline test relies on what the fetch test cached, and
test_two_hosts_pull_through.py runs after this file.
"""

import json
import os

import pytest
from labforge_testlib import host_name, run_playbook

testinfra_hosts = ["ansible://registry_mirror_hosts"]

UPSTREAM = os.environ.get("LABFORGE_TEST_REGISTRY", "127.0.0.1:5000")
MIRROR = "127.0.0.1:5000"
STORAGE = "/srv/registry-cache/docker.io"
UNITS = ("labforge-registry-mirror@5000.service", "labforge-registry-mirror@5001.service")
REPOSITORY, TAG = "labforge/hello", "1"
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json"

# Runs on the host (it has python3, no curl): prints the HTTP status, then the body's sha256,
# then the body; a refused or reset connection prints "error" and the reason.
FETCH = r"""
import hashlib, sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Accept": sys.argv[2]})
try:
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
        print(answer.status)
except urllib.error.HTTPError as error:
    body = error.read()
    print(error.code)
except OSError as error:
    print("error", error)
    sys.exit(0)
print(hashlib.sha256(body).hexdigest())
sys.stdout.write(body.decode("utf-8", "replace"))
"""


def fetch(host, url: str, accept: str = "*/*") -> tuple[str, str, str]:
    """(status, sha256 of the body, body) of a GET from the host."""
    out = host.check_output(f"python3 -c {quote(FETCH)} {quote(url)} {quote(accept)}")
    status, _, rest = out.partition("\n")
    digest, _, body = rest.partition("\n")
    return status, digest, body


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def manifest_through_mirror(host) -> dict:
    status, _, body = fetch(host, f"http://{MIRROR}/v2/{REPOSITORY}/manifests/{TAG}", MANIFEST_TYPES)
    assert status == "200", body
    return json.loads(body)


def blob_path(digest: str, storage: str = STORAGE) -> str:
    hexdigest = digest.split(":", 1)[1]
    return f"{storage}/docker/registry/v2/blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"


def second_upstream(host) -> str:
    """host:port of the scenario's second registry, from the cache's own config."""
    config = host.file("/etc/docker/registry/mirrors/5001.yml").content_string
    return config.split('remoteurl: "http://', 1)[1].split('"', 1)[0]


@pytest.fixture(scope="module")
def layer(host) -> str:
    return manifest_through_mirror(host)["layers"][0]["digest"]


def test_prefetched_image_is_stored_before_any_client_pulls(host):
    # Runs first: nothing but the role's prefetch has asked the second cache for anything yet.
    upstream = second_upstream(host)
    status, _, body = fetch(host, f"http://{upstream}/v2/labforge/jupyter-test/manifests/1", MANIFEST_TYPES)
    assert status == "200", body
    manifest = json.loads(body)
    digests = [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]
    assert len(digests) > 2
    for digest in digests:
        assert host.file(blob_path(digest, f"/srv/registry-cache/{upstream}")).exists, digest


def test_one_unit_per_cache_enabled_running_and_listening(host):
    for unit, port in zip(UNITS, (5000, 5001)):
        service = host.service(unit)
        assert service.is_enabled and service.is_running, unit
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening
        assert fetch(host, f"http://127.0.0.1:{port}/v2/")[0] == "200"


def test_the_packaged_registry_is_stopped_and_disabled(host):
    # It would serve a plain, writable registry on port 5000.
    packaged = host.service("docker-registry")
    assert not packaged.is_running and not packaged.is_enabled


def test_each_config_names_its_upstream_and_storage_and_is_not_world_readable(host):
    upstreams = {5000: (f"http://{UPSTREAM}", STORAGE),
                 5001: (f"http://{second_upstream(host)}", f"/srv/registry-cache/{second_upstream(host)}")}
    for port, (url, storage) in upstreams.items():
        config = host.file(f"/etc/docker/registry/mirrors/{port}.yml")
        assert (config.user, config.group, config.mode) == ("root", "docker-registry", 0o640)
        assert f'remoteurl: "{url}"' in config.content_string
        assert f'rootdirectory: "{storage}"' in config.content_string
        assert f'addr: "0.0.0.0:{port}"' in config.content_string


def test_manifest_and_blob_come_through_the_mirror_and_are_stored(host, layer):
    status, digest, _ = fetch(host, f"http://{MIRROR}/v2/{REPOSITORY}/blobs/{layer}")
    assert status == "200"
    assert f"sha256:{digest}" == layer
    # The cache writes the blob as it streams it; give the write a moment to finish.
    stored = host.run(f"for i in $(seq 50); do [ -s {blob_path(layer)} ] && break; sleep 0.2; done; "
                      f"sha256sum {blob_path(layer)}")
    assert stored.rc == 0, stored.stderr
    assert f"sha256:{stored.stdout.split()[0]}" == layer
    assert host.file(STORAGE).user == "docker-registry"


def test_check_mode_with_diff_on_the_converged_mirror_changes_nothing(host):
    pids = host.check_output("systemctl show --property MainPID --value 'labforge-registry-mirror@*'")
    result = run_playbook("converge.yml", None, "--check", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(host_name(host))["changed"] == 0, result.output[-3000:]
    assert host.check_output("systemctl show --property MainPID --value 'labforge-registry-mirror@*'") == pids


def test_cached_content_is_served_with_the_upstream_unreachable(host, layer):
    # REJECT with a reset, so the cache's open keep-alive connection to the upstream dies too.
    gateway, port = UPSTREAM.rsplit(":", 1)
    rule = f"OUTPUT -p tcp -d {gateway} --dport {port} -j REJECT --reject-with tcp-reset"
    host.check_output(f"iptables -I {rule}")
    try:
        direct, _, _ = fetch(host, f"http://{UPSTREAM}/v2/")
        assert direct.startswith("error"), "the upstream still answers: the test would prove nothing"
        assert manifest_through_mirror(host)["layers"][0]["digest"] == layer
        status, digest, _ = fetch(host, f"http://{MIRROR}/v2/{REPOSITORY}/blobs/{layer}")
        assert (status, f"sha256:{digest}") == ("200", layer)
    finally:
        host.run(f"iptables -D {rule}")
    assert fetch(host, f"http://{UPSTREAM}/v2/")[0] == "200"


def config_and_pid(host) -> tuple[str, ...]:
    return (*(host.file(f"/etc/docker/registry/mirrors/{port}.yml").sha256sum for port in (5000, 5001)),
            host.check_output(f"systemctl show --property MainPID --value {' '.join(UNITS)}"))


GOOD = {"url": "https://registry.lab.example", "port": 5002}


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        ({"registry_mirror_upstreams": [{**GOOD, "url": "registry.lab.example"}]},
         "registry_mirror_upstreams[0].url must be the URL of the registry to cache: http:// or https://"),
        ({"registry_mirror_upstreams": [{**GOOD, "url": "http://registry.lab.example:5000/v2/"}]}, "no path"),
        ({"registry_mirror_upstreams": [{**GOOD, "url": "https://registry.lab.example:99999"}]},
         "got \"https://registry.lab.example:99999\""),
        ({"registry_mirror_upstreams": [GOOD, {"url": "https://ghcr.example", "port": 5002}]},
         "registry_mirror_upstreams[0] and registry_mirror_upstreams[1] both ask for port 5002; "
         "each upstream needs a port of its own (1-65535)"),
        ({"registry_mirror_upstreams": [{**GOOD, "port": 70000}]},
         "registry_mirror_upstreams[0].port must be a TCP port, 1-65535; got 70000"),
        ({"registry_mirror_upstreams": [{**GOOD, "username": "lab"}]},
         "registry_mirror_upstreams[0].username and registry_mirror_upstreams[0].password go together"),
        ({"registry_mirror_upstreams": [{**GOOD, "prefetch": ["quay.io/jupyter/base-notebook:latest"]}]},
         "must be repository:tag as named at the upstream"),
        ({"registry_mirror_upstreams": []}, "no registry to cache: set registry_mirror_upstreams"),
        ({"registry_mirror_upstream": "ftp://registry.lab.example"}, "registry_mirror_upstream must be the URL"),
        ({"registry_mirror_upstream": "https://registry.lab.example"},
         "registry_mirror_upstream (registry_mirror_port 5000) and registry_mirror_upstreams[0] both ask for port 5000"),
        ({"registry_mirror_listen_address": "everywhere"}, "registry_mirror_listen_address must be an IPv4 or IPv6"),
    ],
)
def test_bad_input_fails_first_and_changes_nothing(host, extra_vars, message):
    before = config_and_pid(host)
    result = run_playbook("converge.yml", extra_vars)
    assert result.returncode != 0, f"{extra_vars} was accepted"
    assert message in " ".join(result.output.split()), result.output[-2000:]
    assert result.recap(host_name(host))["changed"] == 0
    assert config_and_pid(host) == before


@pytest.mark.parametrize("bad", [{"port": 70000}, {"url": "registry.lab.example"}, {"prefetch": "not a list"}])
def test_a_failure_beside_an_upstream_password_never_shows_it(host, bad):
    secret = "mirror-pass-0123456789"
    upstream = {**GOOD, "username": "lab", "password": secret, **bad}
    before = config_and_pid(host)
    result = run_playbook("converge.yml", {"registry_mirror_upstreams": [upstream]})
    assert result.returncode != 0 and "registry_mirror_upstreams[0]" in result.output, result.output[-2000:]
    assert secret not in result.output
    assert config_and_pid(host) == before
