"""registry_mirror on a real systemd host: the cache answers, fetches a manifest and a blob
from the rig's registry, keeps them, serves them again with the upstream cut off, and
refuses bad input before touching anything.

The tests run in file order: the offline test relies on what the fetch test cached.
"""

import json
import os

import pytest
from labforge_testlib import host_name, run_playbook

UPSTREAM = os.environ.get("LABFORGE_TEST_REGISTRY", "127.0.0.1:5000")
MIRROR = "127.0.0.1:5000"
STORAGE = "/srv/registry-cache"
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


def blob_path(digest: str) -> str:
    hexdigest = digest.split(":", 1)[1]
    return f"{STORAGE}/docker/registry/v2/blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"


@pytest.fixture(scope="module")
def layer(host) -> str:
    return manifest_through_mirror(host)["layers"][0]["digest"]


def test_prefetched_image_is_stored_before_any_client_pulls(host):
    # Runs first: nothing but the role's prefetch has asked the cache for anything yet.
    status, _, body = fetch(host, f"http://{UPSTREAM}/v2/{REPOSITORY}/manifests/{TAG}", MANIFEST_TYPES)
    assert status == "200", body
    manifest = json.loads(body)
    for digest in [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]:
        assert host.file(blob_path(digest)).exists, digest


def test_service_is_enabled_running_and_listening(host):
    service = host.service("docker-registry")
    assert service.is_enabled
    assert service.is_running
    assert host.socket("tcp://0.0.0.0:5000").is_listening


def test_config_names_the_upstream_and_is_not_world_readable(host):
    config = host.file("/etc/docker/registry/config.yml")
    assert (config.user, config.group, config.mode) == ("root", "docker-registry", 0o640)
    assert f'remoteurl: "http://{UPSTREAM}"' in config.content_string
    assert f'rootdirectory: "{STORAGE}"' in config.content_string


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


def config_and_pid(host) -> tuple[str, str]:
    return (host.file("/etc/docker/registry/config.yml").sha256sum,
            host.check_output("systemctl show --property MainPID --value docker-registry.service"))


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        ({"registry_mirror_upstream": "ftp://registry.lab.example"}, "registry_mirror_upstream must be the URL"),
        ({"registry_mirror_upstream": "http://registry.lab.example:5000/v2/"}, "no path"),
        ({"registry_mirror_upstream": "https://registry.lab.example:99999"}, "got \"https://registry.lab.example:99999\""),
        ({"registry_mirror_port": 70000}, "registry_mirror_port must be a TCP port, 1-65535; got 70000"),
        ({"registry_mirror_listen_address": "everywhere"}, "registry_mirror_listen_address must be an IPv4 or IPv6"),
        ({"registry_mirror_username": "lab"}, "registry_mirror_username and registry_mirror_password go together"),
        ({"registry_mirror_prefetch": ["quay.io/jupyter/base-notebook:latest"]}, "must be repository:tag as named"),
    ],
)
def test_bad_input_fails_first_and_changes_nothing(host, extra_vars, message):
    before = config_and_pid(host)
    result = run_playbook("converge.yml", extra_vars)
    assert result.returncode != 0, f"{extra_vars} was accepted"
    assert message in " ".join(result.output.split()), result.output[-2000:]
    assert result.recap(host_name(host))["changed"] == 0
    assert config_and_pid(host) == before
