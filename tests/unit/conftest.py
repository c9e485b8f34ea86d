"""Shared setup for the filter plugin unit tests.

``filter_plugins/`` goes on sys.path so the tests import ``labforge_filters``
directly, as the shims do.

Hypothesis runs derandomized (the same examples on every run and machine, so a
failure in CI reproduces locally) without a deadline (argon2 hashing and
first-call imports make timings noisy) and without an example database (nothing
is written into the source tree). ``HYPOTHESIS_PROFILE=labforge-deep`` explores
many more, random, examples when you want to hunt for bugs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FILTER_PLUGINS = PROJECT_ROOT / "filter_plugins"

if str(FILTER_PLUGINS) not in sys.path:
    sys.path.insert(0, str(FILTER_PLUGINS))

settings.register_profile(
    "labforge",
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "labforge-deep",
    max_examples=3000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "labforge"))


def _runs_ansible(item: pytest.Item) -> bool:
    return hasattr(getattr(item, "module", None), "ANSIBLE_RUN")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests of test_filter_ansible.py last, so that the playbook started below overlaps the rest."""
    items.sort(key=_runs_ansible)  # stable: the order within each group is kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start test_filter_ansible.py's ansible-playbook run in the background, if one of its tests will run."""
    if session.config.option.collectonly:
        return
    for item in session.items:
        if _runs_ansible(item):
            item.module.ANSIBLE_RUN.start()  # type: ignore[attr-defined]
            return


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop that run if the session ended before its tests (for example with -x)."""
    for item in session.items:
        if _runs_ansible(item):
            item.module.ANSIBLE_RUN.stop()  # type: ignore[attr-defined]
            return
