"""What the jupyter role's modules share: reading `docker ... inspect` through the Docker CLI."""

from __future__ import annotations

import json


def inspected(output: str) -> list[dict]:
    """The objects `docker image|volume|container inspect` printed; it prints those it found
    even when it misses some of the names (and then exits 1)."""
    start = output.find("[")
    if start < 0:
        return []
    try:
        found = json.loads(output[start:])
    except ValueError:
        return []
    return [item for item in found if isinstance(item, dict)]


def inspect(module, docker: str, kind: str, names: list[str]) -> list[dict]:
    """`docker KIND inspect NAMES...` as a list, the missing names left out."""
    if not names:
        return []
    _, out, _ = module.run_command([docker, kind, "inspect", *names])
    return inspected(out)
