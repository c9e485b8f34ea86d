"""Testinfra helpers for scenarios with Jupyter instances: a client that runs on the test
host (jupyter_client.py, copied there) and talks to the instances on their loopback ports."""

from __future__ import annotations

import base64
import json
import shlex
from pathlib import Path

import pytest

CLIENT_ON_HOST = "/tmp/labforge_jupyter_client.py"
CLIENT_CODE = base64.b64encode((Path(__file__).parent / "jupyter_client.py").read_bytes()).decode()


@pytest.fixture
def client(host):
    """client(command, url, *args, token=..., password=...) -> the client's output lines."""

    def call(*args, token="", password=""):
        # Copied again when missing: a reboot of the host empties its /tmp.
        install = f"[ -f {CLIENT_ON_HOST} ] || echo {CLIENT_CODE} | base64 -d > {CLIENT_ON_HOST}"
        quoted = " ".join(shlex.quote(a) for a in args)
        env = f"JUPYTER_TEST_TOKEN={shlex.quote(token)} JUPYTER_TEST_PASSWORD={shlex.quote(password)}"
        return host.check_output(f"{install}; {env} python3 {CLIENT_ON_HOST} {quoted}").splitlines()

    return call


def container(host, name):
    """`docker inspect` of an instance's container, run on the test host."""
    return json.loads(host.check_output(f"docker inspect labforge-jupyter-{name}"))[0]
