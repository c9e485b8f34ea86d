"""Run the roles' own modules the way Ansible does: a Python process given its arguments."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]


def path(*where: str) -> Path:
    """A role's module (role, name) or one of the project's (name)."""
    *role, name = where
    base = PROJECT / "roles" / role[0] if role else PROJECT
    return base / "library" / f"{name}.py"


def load(*where: str) -> ModuleType:
    """The module's source as an importable Python module, to test its functions."""
    spec = importlib.util.spec_from_file_location(f"labforge_module_{where[-1]}", path(*where))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*where: Any, check: bool = False, diff: bool = True, **args: Any) -> dict:
    """The module's JSON result, run in a fresh interpreter with ``args``; ``where`` is the
    module's place as for ``path`` followed by a directory for the arguments file."""
    *module, tmp_path = where
    args_file = Path(tmp_path) / f"{module[-1]}-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check,
                                                             "_ansible_diff": diff}}))
    done = subprocess.run([sys.executable, str(path(*module)), str(args_file)], capture_output=True, text=True,
                          check=False)
    return json.loads(done.stdout)
