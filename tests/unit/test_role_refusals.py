"""A refusal names the variable that is wrong, first, and no rule that holds: the jupyterhub
role's checks (check_inputs.yml), run for real by ansible-playbook on the controller with one
wrong value at a time (no host is contacted)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
GOOD = {"jupyterhub_image": "registry.lab.test/labforge/jupyterhub:5.5.4",
        "jupyterhub_user_image": "registry.lab.test/jupyter/minimal-notebook:1"}
WRONG = {
    "jupyterhub_address": "localhost",
    "jupyterhub_port": 70000,
    "jupyterhub_user_mem_limit": "lots",
    "jupyterhub_user_cpu_limit": -2,
    "jupyterhub_user_mem_reservation": "9G",  # above the 2G limit
    "jupyterhub_user_pids_limit": 10,
    "jupyterhub_user_allowed_networks": ["10.0.0.0/33"],
    "jupyterhub_user_profiles": [{"name": "one", "image": "a:1"}, {"name": "one", "image": "b:1"}],
    "jupyterhub_admin_users": ["Teacher"],
    "jupyterhub_pam_allowed_groups": ["Lab Group"],
    "jupyterhub_idle_timeout": -60,
    "jupyterhub_cull_every": 0,
    "jupyterhub_start_timeout": "soon",
    "jupyterhub_http_timeout": "later",
    "jupyterhub_max_age": -1,
    "jupyterhub_ready_timeout": "never",
    "jupyterhub_native_minimum_password_length": "long",
    "jupyterhub_allowed_failed_logins": -5,
    "jupyterhub_lockout_seconds": "forever",
    "jupyterhub_failed_logins_per_address": -1,
}


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict[str, str]:
    """Each wrong variable -> the role's refusal, from one run of one play a variable."""
    plays = [{
        "name": f"CASE {name}",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {**GOOD, name: value},
        "tasks": [{"block": [{"ansible.builtin.include_role": {"name": "jupyterhub", "tasks_from": "check_inputs"}}],
                   "rescue": [{"ansible.builtin.debug": {"msg": "REFUSAL " + name + " {{ ansible_failed_result.msg | to_json }}"}}]}],
    } for name, value in WRONG.items()]
    playbook = tmp_path_factory.mktemp("refusals") / "refusals.yml"
    playbook.write_text(yaml.safe_dump(plays))
    env = {**os.environ, "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_LOCALHOST_WARNING": "0"}
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(playbook)], capture_output=True, text=True, env=env, timeout=600, cwd=TOP)
    found = dict(re.findall(r'"msg": "REFUSAL (\S+) (.*)"\n', done.stdout))
    return {name: json.loads(json.loads(f'"{text}"')) for name, text in found.items()}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_the_refusal_names_the_wrong_variable_first_and_no_other(refusals, name):
    assert name in refusals, f"{name}={WRONG[name]!r} was not refused"
    message = refusals[name]
    named = re.findall(r"\bjupyterhub_[a-z_]+", message)
    assert named[0] == name, message
    others = set(named) - {name, "jupyterhub_user_mem_limit"}  # the reservation's rule names its limit
    assert not others, message
