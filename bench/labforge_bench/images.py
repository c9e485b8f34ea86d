"""The bench's second Jupyter image: the rig's Jupyter image with a docker-stacks scipy-notebook's
Python packages added, built from the rig's own Dockerfile (same runtime contract, one layer for
the whole environment, as a real image has) and cached by a hash of its recipe."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from labforge_bench.fleet import PROJECT, STATE, sh

RIG_CONTEXT = PROJECT / "tests" / "rig" / "jupyter-image"
SCIPY_REQUIREMENTS = PROJECT / "bench" / "scipy-image" / "requirements.txt"
SCIPY_REPOSITORY = "labforge/jupyter-scipy:1"
# What the rig's wheels() downloads for: the runtime image's Python on x86_64.
PLATFORM_FLAGS = ("--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                  "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64", "--platform", "any")


def requirements_text() -> str:
    """The rig image's requirements followed by the scipy packages: one install, one resolution."""
    return (RIG_CONTEXT / "requirements.txt").read_text() + SCIPY_REQUIREMENTS.read_text()


def recipe(base_id: str, files: dict[str, str]) -> str:
    """Twelve hex digits naming the base image and every file of the build context."""
    digest = hashlib.sha256(base_id.encode())
    for name in sorted(files):
        digest.update(f"\n{name}\n{files[name]}".encode())
    return digest.hexdigest()[:12]


def _wheels(requirements: Path) -> Path:
    wheels, stamp = STATE / "scipy-wheels", hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    if not (wheels / f".{stamp}").exists():
        shutil.rmtree(wheels, ignore_errors=True)
        wheels.mkdir(parents=True)
        sh("python3", "-m", "pip", "download", "-q", "-d", str(wheels), *PLATFORM_FLAGS, "-r", str(requirements))
        (wheels / f".{stamp}").touch()
    return wheels


def scipy_image(tag: str) -> str:
    """Build the scipy image as ``tag`` unless an image of the same recipe has it already."""
    base = sh("bash", str(PROJECT / "tests/rig/base-images.sh"), "runtime").splitlines()[-1]
    files = {path.name: path.read_text() for path in RIG_CONTEXT.iterdir() if path.is_file()}
    files["requirements.txt"] = requirements_text()
    wanted = recipe(sh("docker", "image", "inspect", "-f", "{{.Id}}", base), files)
    have = sh("docker", "image", "inspect", "-f", '{{ index .Config.Labels "org.labforge.recipe" }}', tag, check=False)
    if have == wanted:
        return tag
    with tempfile.TemporaryDirectory(dir=STATE) as build:
        context = Path(build)
        for name, text in files.items():
            (context / name).write_text(text)
        shutil.copytree(_wheels(context / "requirements.txt"), context / "wheels")
        sh("docker", "build", "--quiet", "--build-arg", f"BASE_IMAGE={base}", "--build-arg", "IMAGE_VERSION=1",
           "--label", f"org.labforge.recipe={wanted}", "-t", tag, str(context))
    return tag
