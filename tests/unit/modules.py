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


def module_utils(*where: str) -> list[str]:
    """The role's module_utils directory, which Ansible puts under ansible.module_utils."""
    *role, _ = where
    found = PROJECT / "roles" / role[0] / "module_utils" if role else PROJECT / "module_utils"
    return [str(found)] if found.is_dir() else []


def load(*where: str) -> ModuleType:
    """The module's source as an importable Python module, to test its functions."""
    import ansible.module_utils

    for extra in module_utils(*where):
        if extra not in ansible.module_utils.__path__:
            ansible.module_utils.__path__.append(extra)
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
    # As Ansible does: the role's module_utils importable as ansible.module_utils.NAME.
    runner = ("import runpy, sys, ansible.module_utils as utils; utils.__path__.extend(sys.argv[3:]); "
              "sys.argv = sys.argv[1:3]; runpy.run_path(sys.argv[0], run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", runner, str(path(*module)), str(args_file), *module_utils(*module)],
                          capture_output=True, text=True, check=False)
    return json.loads(done.stdout)
