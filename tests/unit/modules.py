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


MODULE_UTILS = str(PROJECT / "module_utils")


def path(name: str) -> Path:
    """The project's module ``name`` (all of them are in library/)."""
    return PROJECT / "library" / f"{name}.py"


def load(name: str) -> ModuleType:
    """The module's source as an importable Python module, to test its functions."""
    import ansible.module_utils

    if MODULE_UTILS not in ansible.module_utils.__path__:
        ansible.module_utils.__path__.append(MODULE_UTILS)
    spec = importlib.util.spec_from_file_location(f"labforge_module_{name}", path(name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, tmp_path: Any, check: bool = False, diff: bool = True, **args: Any) -> dict:
    """The module's JSON result, run in a fresh interpreter with ``args``; the arguments file
    goes in the directory ``tmp_path``."""
    args_file = Path(tmp_path) / f"{name}-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check,
                                                             "_ansible_diff": diff}}))
    # As Ansible does: the project's module_utils importable as ansible.module_utils.NAME.
    runner = ("import runpy, sys, ansible.module_utils as utils; utils.__path__.extend(sys.argv[3:]); "
              "sys.argv = sys.argv[1:3]; runpy.run_path(sys.argv[0], run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", runner, str(path(name)), str(args_file), MODULE_UTILS],
                          capture_output=True, text=True, check=False)
    return json.loads(done.stdout)
