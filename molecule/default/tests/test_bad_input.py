"""Bad inputs against the converged lab, from bad_inputs.yml beside this file: each run of
site.yml fails naming the variable, and leaves both hosts as they were: every file under /etc
that the roles write byte-identical, the same containers with the same IDs, ada's notebook
intact and both instances answering."""

import copy
import os
from pathlib import Path

import pytest
import testinfra
import yaml
from labforge_jupyter import container
from labforge_testlib import run_playbook

testinfra_hosts = ["ansible://jupyter_hosts"]  # the tests drive both hosts; run them once

SCENARIO = Path(__file__).resolve().parents[1]
CASES = yaml.safe_load((Path(__file__).parent / "bad_inputs.yml").read_text())["cases"]
INVENTORY = yaml.safe_load((SCENARIO / "inventory" / "group_vars" / "jupyter_hosts.yml").read_text())
GUESTS = yaml.safe_load((SCENARIO.parent / "shared" / "vars" / "hypervisor_host.yml").read_text())["lab_vm_guests"]
LAB, HYPERVISOR = "labforge-default-lab", "labforge-default-hv"
ADA_URL, ADA_TOKEN = "http://127.0.0.1:8888/", "ada-token-0123456789abcdef"
NOTEBOOK = "bad-input-survivor.ipynb"
# What the roles write on each host; a refused run changes none of it.
WATCHED = "/etc/docker /etc/labforge /etc/systemd/system /etc/libvirt /usr/local/libexec/labforge"


def extra_vars(case):
    result = copy.deepcopy(case.get("vars", {}))
    for key, variable, items in (("ada", "jupyter_instances", INVENTORY["jupyter_instances"]),
                                 ("guest", "lab_vm_guests", GUESTS)):
        if key in case:
            changed = copy.deepcopy(items)
            changed[0] = {k: v for k, v in {**changed[0], **case[key]}.items() if v is not None}
            result[variable] = changed
    return result


def snapshot(host):
    files = host.run(f"find {WATCHED} -type f -exec sha256sum {{}} + 2>/dev/null | sort").stdout
    return files, host.check_output("systemctl show --property MainPID --value docker libvirtd 2>/dev/null || true")


@pytest.fixture(scope="module")
def hypervisor():
    return testinfra.get_host(f"ansible://{HYPERVISOR}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def test_the_cases_are_many_and_named_once():
    ids = [case["id"] for case in CASES]
    assert len(ids) >= 25 and len(set(ids)) == len(ids)


def test_a_notebook_is_saved_before_the_bad_inputs(client):
    assert client("put-notebook", ADA_URL, NOTEBOOK, "saved before the bad inputs", token=ADA_TOKEN) == ["201"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_a_bad_input_is_refused_before_any_change(host, hypervisor, client, case):
    before = {LAB: snapshot(host), HYPERVISOR: snapshot(hypervisor)}
    ids = {name: container(host, name)["Id"] for name in ("ada", "grace")}
    result = run_playbook("converge.yml", extra_vars(case))
    assert result.returncode != 0, result.output[-3000:]
    assert case["message"] in result.output, result.output[-3000:]
    for secret in case.get("secrets", []):
        assert secret not in result.output
    for name in (LAB, HYPERVISOR):
        assert result.recap(name)["changed"] == 0, result.output[-3000:]
    assert {LAB: snapshot(host), HYPERVISOR: snapshot(hypervisor)} == before
    assert {name: container(host, name)["Id"] for name in ("ada", "grace")} == ids
    assert client("wait", ADA_URL, "30", token=ADA_TOKEN) == ["200"]
    status, *body = client("get", ADA_URL, f"api/contents/{NOTEBOOK}", token=ADA_TOKEN)
    assert status == "200" and "saved before the bad inputs" in "".join(body)
