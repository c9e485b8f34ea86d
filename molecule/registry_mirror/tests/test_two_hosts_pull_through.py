"""Two hosts with Docker engines pull the lab's images through the mirror, one after the other:
the Jupyter image of the scenario's second registry by the reference the inventory rewrote
with registry_mirror_image, and a Docker Hub image through daemon.json registry-mirrors.

What shows that the layers came from the mirror and not from upstream: the clients cannot
reach either upstream (iptables rejects it, Docker Hub's names resolve to 127.0.0.1); the
mirror's access log shows each client fetching every blob of the image; and the second
registry's access log shows that only the mirror fetched blobs from it, all while it filled
its cache, none after the clients began to pull.
"""

import json
import os
import re

import pytest
import testinfra
from labforge_testlib import run_playbook

testinfra_hosts = ["ansible://registry_mirror_hosts"]

JUPYTER, HELLO = ("labforge/jupyter-test", "1"), ("labforge/hello", "1")
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json"
# distribution's access line: ADDRESS - - [TIME] "GET /v2/REPOSITORY/blobs/DIGEST HTTP/1.1" STATUS BYTES ...
BLOB_GET = re.compile(r'^(?P<client>\S+) \S+ \S+ \[[^]]+\] "GET /v2/(?P<repository>\S+)/blobs/(?P<digest>sha256:[0-9a-f]{64})'
                      r' HTTP/[0-9.]+" (?P<status>[0-9]{3}) (?P<bytes>[0-9]+)', re.MULTILINE)


def hosts_of(group: str) -> list:
    return testinfra.get_hosts([f"ansible://{group}"], ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def address(host) -> str:
    """The host's address on the bridge that joins the scenario's hosts (eth0; a client's own
    engine adds a docker0 of its own)."""
    return host.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]


def blob_gets(host, unit: str) -> list[dict]:
    """Every blob GET in the unit's access log, in order."""
    log = host.check_output(f"journalctl --no-pager -o cat -u {unit}")
    return [match.groupdict() for match in BLOB_GET.finditer(log)]


def blobs_of(host, base: str, repository: str, tag: str) -> list[str]:
    """Digests of the image's config and layers, read from a registry by the host."""
    script = ("import sys, urllib.request; r = urllib.request.Request(sys.argv[1], headers={'Accept': sys.argv[2]}); "
              "print(urllib.request.urlopen(r, timeout=10).read().decode())")
    body = host.check_output(f"python3 -c \"{script}\" {base}/v2/{repository}/manifests/{tag} '{MANIFEST_TYPES}'")
    manifest = json.loads(body)
    return [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]


@pytest.fixture(scope="module")
def lab():
    (mirror,), (upstream,), clients = hosts_of("registry_mirror_hosts"), hosts_of("upstream_hosts"), hosts_of("client_hosts")
    assert len(clients) == 2
    return {"mirror": mirror, "upstream": upstream, "clients": clients}


@pytest.fixture(scope="module")
def pulled(lab):
    """Runs the pulls once; what the upstream's log held before them."""
    before = blob_gets(lab["upstream"], "docker-registry")
    result = run_playbook("pull.yml")
    assert result.returncode == 0, result.output[-3000:]
    return {"upstream_before": before, "output": result.output}


def test_the_clients_cannot_reach_the_upstreams(lab):
    upstream = f"{address(lab['upstream'])}:5000"
    rig = lab["mirror"].check_output("ip route show default").split()[2] + ":5000"
    probe = "python3 -c \"import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)\" http://{}/v2/"
    for client in lab["clients"]:
        for target in (upstream, rig):
            assert client.run(probe.format(target)).rc != 0, f"{client.backend.get_hostname()} reaches {target}"
        assert client.check_output("getent hosts registry-1.docker.io").split()[0] == "127.0.0.1"


def test_the_jupyter_image_reference_names_the_mirror_and_each_client_has_it(lab, pulled):
    wanted = f"{address(lab['mirror'])}:5001/{JUPYTER[0]}:{JUPYTER[1]}"
    assert f"(item={wanted})" in pulled["output"]
    digest = blobs_of(lab["upstream"], "http://127.0.0.1:5000", *JUPYTER)[0]
    for client in lab["clients"]:
        image = json.loads(client.check_output(f"docker image inspect {wanted}"))[0]
        assert image["Id"] == digest


def test_each_client_fetched_every_blob_of_the_jupyter_image_from_the_mirror(lab, pulled):
    digests = blobs_of(lab["upstream"], "http://127.0.0.1:5000", *JUPYTER)
    served = blob_gets(lab["mirror"], "labforge-registry-mirror@5001.service")
    for client in lab["clients"]:
        got = {g["digest"] for g in served if g["client"] == address(client) and g["status"] == "200"}
        assert got == set(digests), f"{client.backend.get_hostname()} fetched {len(got)} of {len(digests)} blobs"


def test_the_upstream_sent_blobs_only_to_fill_the_cache_and_none_for_the_clients(lab, pulled):
    digests = blobs_of(lab["upstream"], "http://127.0.0.1:5000", *JUPYTER)
    after = blob_gets(lab["upstream"], "docker-registry")
    assert after[: len(pulled["upstream_before"])] == pulled["upstream_before"]
    assert after[len(pulled["upstream_before"]):] == [], "the clients' pulls reached the upstream"
    # Before the pulls: the prepare step's own copy checks (HEAD, not counted) and the mirror.
    fills = [g for g in after if g["repository"] == JUPYTER[0]]
    assert {g["client"] for g in fills} == {address(lab["mirror"])}
    counts = {digest: sum(g["digest"] == digest for g in fills) for digest in digests}
    # distribution 2.8 fetches a blob it lacks twice: once into storage, once streamed to the
    # request that asked (here the role's prefetch). Never more, with the prefetch warming it.
    assert all(1 <= count <= 2 for count in counts.values()), counts


def test_docker_hub_images_come_through_registry_mirrors(lab, pulled):
    digests = blobs_of(lab["mirror"], "http://127.0.0.1:5000", *HELLO)
    served = blob_gets(lab["mirror"], "labforge-registry-mirror@5000.service")
    for client in lab["clients"]:
        image = json.loads(client.check_output(f"docker image inspect {HELLO[0]}:{HELLO[1]}"))[0]
        assert image["Id"] == digests[0]
        got = {g["digest"] for g in served if g["client"] == address(client) and g["status"] == "200"}
        assert got == set(digests)
    for digest in digests:
        hexdigest = digest.split(":", 1)[1]
        blob = f"/srv/registry-cache/docker.io/docker/registry/v2/blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"
        assert lab["mirror"].file(blob).exists
