"""docker_swarm through site.yml on three host containers, each with a Docker engine inside:
one manager and two workers form one swarm with the nodes' labels and the lab's attachable
overlay network; a dnsrr service on one node answers by name from a container on another;
check mode on the converged swarm changes nothing; a node with docker_swarm_state absent is
drained, leaves and is removed; a node of another swarm is refused before any change, and
joins once it left that swarm, without the lab's swarm being initialised again.

The tests run in file order, each on the swarm the previous one left.
"""

import json
import os
import shutil

import pytest
import yaml
from labforge_testlib import molecule_inventory, run_playbook

testinfra_hosts = ["ansible://swarm_managers"]  # the tests drive the workers from here

REGISTRY = os.environ.get("LABFORGE_TEST_REGISTRY", "127.0.0.1:5000")
HELLO = f"{REGISTRY}/labforge/hello:1"
NETWORK = "labforge-lab"
MANAGER, W1, W2 = "labforge-swarm-m1", "labforge-swarm-w1", "labforge-swarm-w2"
CLIENT = f"{REGISTRY}/labforge/jupyter-test:1"
MARK = "served-over-the-overlay"
FETCH = """
import time, urllib.request
for attempt in range(60):
    try:
        print(urllib.request.urlopen("http://probe:8080/", timeout=5).read().decode())
        break
    except OSError:
        time.sleep(1)
else:
    raise SystemExit("probe:8080 did not answer over the overlay")
"""


def nodes(host) -> dict[str, dict]:
    lines = host.check_output("docker node ls --format '{{json .}}'").splitlines()
    return {node["Hostname"]: node for node in map(json.loads, lines)}


def cluster_id(host) -> str:
    return host.check_output("docker info --format '{{.Swarm.Cluster.ID}}'")


def on(host, name: str, command: str):
    """Run a command on another node of the scenario, through the manager's test runner."""
    import testinfra

    other = testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")
    return other.run(command)


@pytest.fixture(scope="module")
def first_cluster(host) -> str:
    return cluster_id(host)


def test_one_manager_and_two_workers_are_ready_and_active(host, first_cluster):
    found = nodes(host)
    assert set(found) == {MANAGER, W1, W2}
    assert all(n["Status"] == "Ready" and n["Availability"] == "Active" for n in found.values()), found
    assert found[MANAGER]["ManagerStatus"] == "Leader"
    assert found[W1]["ManagerStatus"] == "" and found[W2]["ManagerStatus"] == ""
    assert first_cluster


def test_live_restore_is_off_on_swarm_nodes_which_refuse_it(host):
    for name in (MANAGER, W1, W2):
        daemon = json.loads(on(host, name, "cat /etc/docker/daemon.json").stdout)
        assert daemon["live-restore"] is False, name
        assert daemon["no-new-privileges"] is True  # the other hardened defaults stay


def test_nodes_carry_their_labels(host):
    labels = {name: json.loads(host.check_output(f"docker node inspect {name} --format '{{{{json .Spec.Labels}}}}'"))
              for name in (W1, W2)}
    assert labels[W1] == {"lab.rack": "a"}
    assert labels[W2] == {"lab.rack": "b", "lab.gpu": "none"}


def test_the_lab_network_is_an_attachable_swarm_overlay(host):
    network = json.loads(host.check_output(f"docker network inspect {NETWORK} --format '{{{{json .}}}}'"))
    assert (network["Driver"], network["Scope"], network["Attachable"]) == ("overlay", "swarm", True)


def test_every_node_has_pulled_the_labs_images(host):
    for name in (MANAGER, W1, W2):
        assert on(host, name, f"docker image inspect --format '{{{{.Id}}}}' {HELLO}").rc == 0, name


def test_a_service_on_a_labelled_worker_answers_by_name_from_a_container_on_the_manager(host):
    serve = f"echo {MARK} > /index.html && exec /bin/busybox httpd -f -p 8080 -h /"
    host.check_output(
        f"timeout 180 docker service create --detach=false --quiet --name probe --endpoint-mode dnsrr"
        f" --network {NETWORK} --constraint node.labels.lab.rack==b {HELLO} /bin/busybox sh -c '{serve}'")
    try:
        placed = host.check_output("docker service ps probe --filter desired-state=running --format '{{.Node}}'")
        assert placed == W2
        # busybox's wget cannot resolve names (a static glibc without NSS): the client is Python.
        # The name reaches the other nodes by gossip: asked again for up to a minute.
        host.check_output(f"timeout 300 docker pull --quiet {CLIENT}")
        fetch = host.run(f"timeout 120 docker run --rm --network {NETWORK} --entrypoint python3 {CLIENT} -c '{FETCH}'")
        assert fetch.rc == 0 and fetch.stdout.strip() == MARK, fetch.stdout + fetch.stderr
    finally:
        host.run("docker service rm probe")


def test_check_mode_on_the_converged_swarm_changes_nothing(host):
    result = run_playbook("converge.yml", None, "--check", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    for name in (MANAGER, W1, W2):
        assert result.recap(name)["changed"] == 0, result.output[-3000:]


def test_a_malformed_image_fails_before_any_change(host):
    result = run_playbook("converge.yml", {"docker_swarm_images": [HELLO, "Not A/Valid:ref"]})
    assert result.returncode != 0
    assert "invalid image reference 'Not A/Valid:ref'" in result.output, result.output[-3000:]
    for name in (MANAGER, W1, W2):
        assert result.recap(name)["changed"] == 0, result.output[-3000:]


def test_the_validation_tag_checks_and_changes_nothing(host):
    result = run_playbook("converge.yml", {"docker_swarm_node_labels": {"lab.rack": "z"}},
                          "--tags", "docker_swarm_validate")
    assert result.returncode == 0, result.output[-3000:]
    assert "Refuse a node that belongs to another swarm" in result.output
    for name in (MANAGER, W1, W2):
        assert result.recap(name)["changed"] == 0, result.output[-3000:]
    assert json.loads(host.check_output(f"docker node inspect {W1} --format '{{{{json .Spec.Labels}}}}'")) == \
        {"lab.rack": "a"}


def test_a_node_taken_out_of_the_groups_is_drained_and_active_again_once_back(host, tmp_path):
    # The scenario's inventory without w1 in swarm_workers (Molecule writes the groups twice).
    inventory = tmp_path / "inventory"
    shutil.copytree(molecule_inventory(), inventory)
    for name in ("ansible_inventory.yml", "hosts"):
        groups = yaml.safe_load((inventory / name).read_text())
        del groups["swarm_workers"]["hosts"][W1]
        (inventory / name).write_text(yaml.safe_dump(groups))
    result = run_playbook("converge.yml", inventory=inventory)
    assert result.returncode == 0, result.output[-3000:]
    assert f"Drained {W1}:" in result.output, result.output[-3000:]
    assert nodes(host)[W1]["Availability"] == "Drain"
    back = run_playbook("converge.yml")
    assert back.returncode == 0, back.output[-3000:]
    assert nodes(host)[W1]["Availability"] == "Active"


def test_a_node_set_absent_is_drained_leaves_and_is_removed(host, tmp_path):
    # docker_swarm_state absent on w2 only (extra vars apply to every host, so it is templated).
    extra = tmp_path / "w2-absent.json"
    extra.write_text(json.dumps({"docker_swarm_state": f"{{{{ 'absent' if inventory_hostname == '{W2}' else 'present' }}}}"}))
    result = run_playbook("converge.yml", None, "--extra-vars", f"@{extra}")
    assert result.returncode == 0, result.output[-3000:]
    assert set(nodes(host)) == {MANAGER, W1}
    assert on(host, W2, "docker info --format '{{.Swarm.LocalNodeState}}'").stdout.strip() == "inactive"


def test_a_node_of_another_swarm_is_refused_before_any_change(host):
    assert on(host, W2, "docker swarm init --advertise-addr 127.0.0.1").rc == 0
    try:
        result = run_playbook("converge.yml")
        assert result.returncode != 0
        assert f"{W2} belongs to another swarm" in result.output, result.output[-3000:]
        for name in (MANAGER, W1, W2):
            assert result.recap(name)["changed"] == 0, result.output[-3000:]
        assert set(nodes(host)) == {MANAGER, W1}
    finally:
        assert on(host, W2, "docker swarm leave --force").rc == 0


def test_once_it_left_that_swarm_it_joins_and_the_lab_swarm_is_the_same(host, first_cluster):
    result = run_playbook("converge.yml")
    assert result.returncode == 0, result.output[-3000:]
    found = nodes(host)
    assert set(found) == {MANAGER, W1, W2}
    assert all(n["Status"] == "Ready" for n in found.values()), found
    assert cluster_id(host) == first_cluster
