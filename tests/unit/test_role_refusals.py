"""A refusal names the variable that is wrong, first, and no rule that holds: the jupyterhub
and hub_https roles' checks (check_inputs.yml), run for real by ansible-playbook on the
controller with one wrong value at a time (no host is contacted)."""

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
# role -> variable -> a wrong value, and the other variables its refusal may name (the rule's
# other side, such as a limit).
WRONG = {"jupyterhub": {
    "jupyterhub_address": "localhost",
    "jupyterhub_port": 70000,
    "jupyterhub_user_mem_limit": "lots",
    "jupyterhub_user_cpu_limit": -2,
    "jupyterhub_user_mem_reservation": ("9G", {"jupyterhub_user_mem_limit"}),  # above the 2G limit
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
}, "hub_https": {
    "hub_https_hostname": "lab host!",
    "hub_https_extra_names": ["lab.test", "bad name!"],
    "hub_https_port": 70000,
    "hub_https_redirect_port": (443, {"hub_https_port"}),
    "jupyterhub_address": "0.0.0.0",
    "hub_https_lab_ca_days": (100, {"hub_https_certificate_days"}),
    "hub_https_certificate_days": (20, {"hub_https_renew_days"}),
    "hub_https_renew_days": 0,
    "hub_https_hsts_seconds": -1,
    "hub_https_ready_timeout": 0,
    "hub_https_max_body_size": "lots",
    "hub_https_login_rate_per_minute": 0,
    "hub_https_lab_ca_name": "",
}}
CASES = [(role, name, *(case if isinstance(case, tuple) else (case, set())))
         for role, cases in WRONG.items() for name, case in cases.items()]


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict[tuple[str, str], str]:
    """(role, wrong variable) -> the role's refusal, from one run of one play a case."""
    plays = [{
        "name": f"CASE {role} {name}",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {**GOOD, name: value},
        "tasks": [{"block": [{"ansible.builtin.include_role": {"name": role, "tasks_from": "check_inputs"}}],
                   "rescue": [{"ansible.builtin.debug": {
                       "msg": f"REFUSAL {role} {name} " + "{{ ansible_failed_result.msg | to_json }}"}}]}],
    } for role, name, value, _ in CASES]
    playbook = tmp_path_factory.mktemp("refusals") / "refusals.yml"
    playbook.write_text(yaml.safe_dump(plays))
    env = {**os.environ, "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_LOCALHOST_WARNING": "0"}
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(playbook)], capture_output=True, text=True, env=env, timeout=600, cwd=TOP)
    found = re.findall(r'"msg": "REFUSAL (\S+) (\S+) (.*)"\n', done.stdout)
    return {(role, name): json.loads(json.loads(f'"{text}"')) for role, name, text in found}


@pytest.mark.parametrize(("role", "name", "value", "also"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_the_refusal_names_the_wrong_variable_first_and_no_other(refusals, role, name, value, also):
    assert (role, name) in refusals, f"{role}: {name}={value!r} was not refused"
    message = refusals[role, name]
    named = re.findall(r"\b(?:jupyterhub|hub_https)_[a-z_]+", message)
    assert named[0] == name, message
    assert not set(named) - {name} - also, message
