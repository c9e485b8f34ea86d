"""The preflight play, run for real by ansible-playbook against throwaway inventories (its
checks run on the controller, so no host is contacted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
EXAMPLE = TOP / "inventories" / "example-lab"


def preflight(inventory, *args, playbook=TOP / "playbooks" / "preflight.yml"):
    env = {**os.environ, "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "COLUMNS": "1000"}
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=TOP)
    # Messages wrap with the terminal's width; compare them with white space folded.
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def inventory(tmp_path, groups, host_vars=None):
    children = {name: {"hosts": {h: (host_vars or {}).get(h) for h in hosts}} for name, hosts in groups.items()}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"children": children}}))
    return path


LAB = {"container_hosts": ["lab1"], "jupyter_hosts": ["lab1"], "hypervisor_hosts": []}


def test_example_lab_inventory_passes_with_its_vault():
    rc, out = preflight(EXAMPLE, "--vault-password-file", str(EXAMPLE / "vault-password.txt"))
    assert rc == 0, out[-2000:]
    assert "failed=0" in out


def test_a_misspelled_variable_fails_with_a_suggestion(tmp_path):
    rc, out = preflight(inventory(tmp_path, LAB), "-e", '{"jupyter_instance": []}')
    assert rc != 0
    assert "jupyter_instance (did you mean jupyter_instances?)" in out


def test_unknown_variables_only_warn_when_allowed(tmp_path):
    rc, out = preflight(inventory(tmp_path, LAB), "-e", '{"jupyter_instance": [], "preflight_allow_unknown_vars": true}')
    assert rc == 0, out[-2000:]
    assert "jupyter_instance (did you mean jupyter_instances?)" in out


def test_a_jupyter_host_must_be_a_container_host(tmp_path):
    groups = {**LAB, "jupyter_hosts": ["lab1", "lab2"]}
    rc, out = preflight(inventory(tmp_path, groups))
    assert rc != 0
    assert "lab2 in jupyter_hosts but not in container_hosts" in out


def test_a_swarm_node_must_be_a_container_host(tmp_path):
    groups = {**LAB, "swarm_managers": ["lab1"], "swarm_workers": ["lab3"]}
    rc, out = preflight(inventory(tmp_path, groups))
    assert rc != 0
    assert "lab3 in swarm_managers or swarm_workers but not in container_hosts" in out


def test_the_hub_host_must_be_a_swarm_manager_and_alone(tmp_path):
    groups = {**LAB, "container_hosts": ["lab1", "lab2"], "swarm_managers": ["lab1"], "swarm_workers": ["lab2"],
              "hub": ["lab1", "lab2"]}
    rc, out = preflight(inventory(tmp_path, groups))
    assert rc != 0
    assert "lab2 in hub but not in swarm_managers" in out
    assert "The group hub has 2 hosts (lab1, lab2); a lab runs one hub." in out


def test_missing_groups_are_named(tmp_path):
    rc, out = preflight(inventory(tmp_path, {"container_hosts": ["lab1"]}))
    assert rc != 0
    assert "lacks the group(s) jupyter_hosts, hypervisor_hosts" in out


def test_two_instances_on_one_port_fail_naming_both(tmp_path):
    instances = [{"name": "a", "token": "x" * 16, "port": 9000}, {"name": "b", "token": "y" * 16, "port": 9000}]
    rc, out = preflight(inventory(tmp_path, LAB, {"lab1": {"jupyter_instances": instances}}))
    assert rc != 0
    assert "instances 'a' and 'b' both ask for port 9000" in out


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        ({"name": "a", "token": "x" * 16, "memory": "lots"}, "jupyter_instances[a]: memory:"),
        ({"name": "a", "token": "x" * 16, "image": "Not A/Valid:ref"}, "jupyter_instances[a]: image:"),
        ({"name": "a"}, "jupyter_instances[a]: no way to authenticate"),
    ],
    ids=["memory", "image", "no-auth"],
)
def test_a_malformed_instance_fails_in_the_preflight(tmp_path, instance, message):
    rc, out = preflight(inventory(tmp_path, LAB, {"lab1": {"jupyter_instances": [instance]}}))
    assert rc != 0
    assert message in out, out[-2000:]
    assert "TASK [jupyter : Check the Jupyter instances' variables]" in out


def test_a_bad_docker_daemon_setting_fails_in_the_preflight(tmp_path):
    rc, out = preflight(inventory(tmp_path, LAB, {"lab1": {"docker_engine_registry_mirrors": ["not a url"]}}))
    assert rc != 0
    assert "docker_engine_registry_mirrors[0]" in out, out[-2000:]
    assert "TASK [docker_engine : Check each layer of the daemon settings]" in out


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"jupyter_pull_policy": "sometimes"}, "lab1: value of jupyter_pull_policy must be one of: missing, always"),
        ({"jupyter_pull_retries": "many"}, "lab1: argument 'jupyter_pull_retries' is of type"),
        ({"lab_vm_guests": {"name": "vm1"}},
         "lab1: lab_vm_guests must be a list, such as [{...}] (got a mapping with the keys name)"),
    ],
    ids=["choice", "type", "list-expected"],
)
def test_a_variable_of_the_wrong_type_or_value_fails_in_the_preflight(tmp_path, variables, message):
    rc, out = preflight(inventory(tmp_path, LAB, {"lab1": variables}))
    assert rc != 0
    assert message in out, out[-2000:]
    assert "argument_spec_data" not in out  # the message, not every role's spec


def test_one_host_with_a_bad_variable_stops_every_host_before_any_play(tmp_path):
    """lab2 is fine, but no play after the preflight runs for it: its connection (to a closed
    port on loopback) would show as unreachable."""
    address = {"ansible_host": "127.0.0.1", "ansible_port": 1}
    groups = {**LAB, "container_hosts": ["lab1", "lab2"], "jupyter_hosts": ["lab1", "lab2"]}
    hosts = {"lab1": {**address, "jupyter_pull_policy": "sometimes"}, "lab2": address}
    rc, out = preflight(inventory(tmp_path, groups, hosts), playbook=TOP / "site.yml")
    assert rc != 0
    assert "lab1: value of jupyter_pull_policy" in out
    assert "PLAY [Preflight" in out and "PLAY [Container hosts" not in out and "PLAY [Hypervisor hosts" not in out
    assert "lab2 : ok=" in out and "unreachable=0" in out.split("lab2 : ok=")[1][:200]


VAULT = ("--vault-password-file", str(EXAMPLE / "vault-password.txt"))
# The hypervisor play comes first: the guests it adds to the inventory are provisioned by the
# plays after it, once their own variables passed the preflight.
SITE_PLAYS = ["Preflight", "Hypervisor hosts", "Guests added as lab hosts", "Registry mirror hosts", "Container hosts",
              "Swarm hosts", "Hub host", "Jupyter hosts"]


@pytest.mark.parametrize("playbook", ["site.yml", *sorted(f"playbooks/{p.name}" for p in (TOP / "playbooks").glob("*.yml"))])
def test_site_playbook_parses(playbook):
    rc, out = preflight(EXAMPLE, "--syntax-check", *VAULT, playbook=TOP / playbook)
    assert rc == 0, out


def test_site_runs_every_play_in_order_with_its_roles_tasks():
    rc, out = preflight(EXAMPLE, "--list-tasks", *VAULT, playbook=TOP / "site.yml")
    assert rc == 0, out
    plays = [play.split(": ", 1)[1].split(" - ")[0] for play in out.split("play #")[1:]]
    assert plays == SITE_PLAYS
    for task in ("preflight : ", "docker_engine : ", "docker_swarm : Initialise the swarm on the leader",
                 "jupyterhub : Wait until the hub answers through the proxy", "hypervisor : ",
                 "jupyter : Ask each instance for /api/status"):
        assert task in out


def test_a_broken_site_playbook_fails_the_syntax_check(tmp_path):
    broken = tmp_path / "site.yml"
    broken.write_text((TOP / "site.yml").read_text().replace("playbooks/", str(TOP / "playbooks") + "/")
                      + "- name: Broken\n  ansible.builtin.import_playbook: playbooks/no-such-play.yml\n")
    rc, out = preflight(EXAMPLE, "--syntax-check", *VAULT, playbook=broken)
    assert rc != 0 and "no-such-play.yml" in out


@pytest.mark.parametrize("role", sorted(p.parent.parent.name for p in (TOP / "roles").glob("*/meta/main.yml")))
def test_every_role_asks_for_the_ansible_the_preflight_checks(role):
    wanted = yaml.safe_load((TOP / "roles" / "preflight" / "defaults" / "main.yml").read_text())
    meta = yaml.safe_load((TOP / "roles" / role / "meta" / "main.yml").read_text())
    assert meta["galaxy_info"]["min_ansible_version"] == wanted["preflight_min_ansible_version"]


def test_a_list_given_as_a_string_is_refused_naming_it(tmp_path):
    rc, out = preflight(inventory(tmp_path, LAB), "-e", '{"jupyterhub_admin_users": "teacher"}')
    assert rc != 0
    assert 'jupyterhub_admin_users must be a list, such as ["teacher"] (got a string "teacher")' in out, out[-2000:]
