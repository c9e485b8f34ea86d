"""site.yml as a whole, run again from the controller: one capability at a time by tag, and
a misspelled variable stopped by the preflight before any host changes."""

import re

from labforge_testlib import run_playbook

testinfra_hosts = ["ansible://jupyter_hosts"]  # these tests drive both hosts; run them once

LAB, HYPERVISOR = "labforge-default-lab", "labforge-default-hv"


def test_a_tag_runs_only_its_capability_and_changes_nothing(host):
    result = run_playbook("converge.yml", None, "--tags", "jupyter")
    assert result.returncode == 0, result.output[-3000:]
    assert result.recap(LAB)["changed"] == 0
    assert "PLAY [Jupyter hosts" in result.output
    assert "PLAY [Preflight" in result.output
    # The preflight play checks every role's variables; after it, only the jupyter role ran.
    plays = re.split(r"^PLAY \[", result.output, flags=re.MULTILINE)
    after_preflight = "".join(play for play in plays if not play.startswith("Preflight"))
    ran = {(role, task) for role, task in re.findall(r"^TASK \[(\w+) : ([^\]]+)\]", after_preflight, re.MULTILINE)}
    assert "jupyter" in {role for role, _ in ran}
    others = {task for role, task in ran if role != "jupyter"}
    # Only the argument checks (tagged always) of the other capabilities' roles ran.
    assert all(task.startswith("Validating arguments") for task in others), others


def test_a_misspelled_variable_stops_every_host_before_any_change(host):
    result = run_playbook("converge.yml", {"jupyter_instnaces": []})
    assert result.returncode != 0
    assert "jupyter_instnaces" in result.output and "jupyter_instances" in result.output
    for name in (LAB, HYPERVISOR):
        recap = result.recap(name)
        assert (recap["changed"], recap["failed"]) == (0, 1), recap
    assert "PLAY [Hypervisor hosts" not in result.output and "PLAY [Container hosts" not in result.output


def test_check_mode_with_diff_on_the_converged_lab_runs_clean_and_changes_nothing(host):
    """Every role of site.yml in --check --diff on hosts it already converged (the scenario's
    check step covers fresh hosts)."""
    result = run_playbook("converge.yml", None, "--check", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    for name in (LAB, HYPERVISOR):
        recap = result.recap(name)
        assert (recap["changed"], recap["failed"]) == (0, 0), recap
    for play in ("Container hosts", "Hypervisor hosts", "Jupyter hosts"):
        assert f"PLAY [{play}" in result.output
