"""Helpers the scenarios' testinfra tests share: run the scenario's playbook again with other
variables (to test a change, or bad input) and read what it did."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


@dataclass
class PlayResult:
    returncode: int
    output: str

    def recap(self, host: str) -> dict[str, int]:
        for match in RECAP.finditer(self.output):
            if match.group(1) == host:
                ok, changed, unreachable, failed = map(int, match.groups()[1:])
                return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}
        raise AssertionError(f"no PLAY RECAP line for {host} in:\n{self.output[-3000:]}")


def run_playbook(playbook: str = "converge.yml", extra_vars: dict | None = None, *args: str,
                 inventory: Path | None = None) -> PlayResult:
    """Run a playbook of the scenario against Molecule's inventory, as `molecule converge` does
    (the inventory directory, with the group_vars and hosts files a scenario links in), or
    against another inventory directory."""
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    inventory = inventory or molecule_inventory()
    command = ["ansible-playbook", "-i", str(inventory), str(scenario / playbook), *args]
    if extra_vars:
        command += ["--extra-vars", json.dumps(extra_vars)]
    env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "COLUMNS": "200"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    return PlayResult(done.returncode, ANSI.sub("", done.stdout + done.stderr))


def molecule_inventory() -> Path:
    """The inventory directory Molecule made for the scenario."""
    return Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent


def host_name(host) -> str:
    """The inventory name of a testinfra host."""
    return host.backend.get_hostname()
