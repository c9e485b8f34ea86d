import sys
from pathlib import Path

import docker
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))


@pytest.fixture(scope="module")
def base_url() -> str:
    """The hub's proxy on the manager host container, as the machine that runs the tests reaches it."""
    outer = docker.from_env().containers.get("labforge-hub-m1")
    address = outer.attrs["NetworkSettings"]["IPAddress"] or next(
        iter(outer.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
    return f"http://{address}:8000"
