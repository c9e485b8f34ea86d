"""The bench's scipy image: its requirements and the recipe hash that decides a rebuild."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench import images  # noqa: E402


def test_one_install_resolves_the_rig_image_and_the_scipy_packages_together():
    lines = [line for line in images.requirements_text().splitlines() if line and not line.startswith("#")]
    names = {line.split("==")[0] for line in lines}
    assert {"jupyterlab", "notebook", "scipy", "pandas", "scikit-learn"} <= names
    assert all("==" in line for line in lines), "every package is pinned"


def test_the_recipe_changes_with_the_base_image_and_with_any_file():
    files = {"Dockerfile": "FROM x", "requirements.txt": "a==1"}
    same = images.recipe("sha256:1", dict(files))
    assert images.recipe("sha256:1", files) == same
    assert images.recipe("sha256:2", files) != same
    assert images.recipe("sha256:1", {**files, "requirements.txt": "a==2"}) != same
    assert len(same) == 12
