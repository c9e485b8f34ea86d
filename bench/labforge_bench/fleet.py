"""Lab hosts for the bench: systemd containers from the rig's host image plus sshd, run with the
Molecule base platform's options, reached over SSH at their docker0 addresses."""

from __future__ import annotations

import hashlib
import secrets
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2]
STATE = PROJECT / ".rig" / "bench"
PREFIX = "labforge-bench-"
RETIRED_PREFIX = f"{PREFIX}retired-"
ENGINE_DATA = "/var/lib/docker"
# Where a host's engine keeps its images: a volume on this machine's disk, as Molecule's hosts do,
# or a tmpfs, which takes the disk's variable latency out of the pulls (and costs the memory).
DOCKER_DATA_PLACES = ("disk", "memory")
IMAGE_REPOSITORY = "labforge/bench-host"

# The rig's Molecule host image plus what a lab host reached over SSH has: sshd.
DOCKERFILE = """\
FROM {base}
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null \\
 && rm -f /var/cache/apt/archives/*.deb \\
 && install -d -m 0700 /root/.ssh
"""


def sh(*command: str, input: str | None = None, check: bool = True) -> str:
    done = subprocess.run(command, input=input, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout.strip()


def gateway() -> str:
    """How containers reach this machine (the docker0 bridge's address)."""
    return sh("bash", "-c", f". {PROJECT}/tests/rig/lib.sh && docker_gateway")


def host_image() -> str:
    """The bench host image, tagged with a hash of its recipe and base image; built when missing."""
    base = sh("bash", str(PROJECT / "tests/rig/base-images.sh"), "host", "bookworm").splitlines()[-1]
    base_id = sh("docker", "image", "inspect", "-f", "{{.Id}}", base)
    dockerfile = DOCKERFILE.format(base=base)
    recipe = hashlib.sha256(f"{base_id}\n{dockerfile}".encode()).hexdigest()[:12]
    image = f"{IMAGE_REPOSITORY}:bookworm-{recipe}"
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode != 0:
        sh("docker", "build", "--quiet", "-t", image, "-", input=dockerfile)
    return image


def ssh_key() -> Path:
    key = STATE / "id_ed25519"
    if not key.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labforge-bench", "-f", str(key))
    return key


def platform_flags(docker_data: str = "disk") -> list[str]:
    """docker run options of the Molecule base platform (.config/molecule/config.yml), with the engine's
    data in memory when ``docker_data`` is ``memory``."""
    if docker_data not in DOCKER_DATA_PLACES:
        raise ValueError(f"docker_data is one of {', '.join(DOCKER_DATA_PLACES)}, not {docker_data!r}")
    platform = yaml.safe_load((PROJECT / ".config/molecule/config.yml").read_text())["platforms"][0]
    in_memory = docker_data == "memory"
    flags = ["--cgroupns=host"]
    flags += [f"--device={device}" for device in platform.get("devices", [])]  # /dev/kvm, /dev/net/tun
    flags += [f"--cap-add={cap}" for cap in platform["capabilities"]]
    flags += [f"--security-opt={opt}" for opt in platform["security_opts"]]
    flags += [f"--tmpfs={path}" for path in platform["tmpfs"]]
    flags += [f"--volume={volume}" for volume in platform["volumes"] if not (in_memory and volume == ENGINE_DATA)]
    if in_memory:  # overlay2 needs exec, dev and suid where the images are unpacked
        flags.append(f"--tmpfs={ENGINE_DATA}:rw,exec,dev,suid")
    return flags


def _start_one(name: str, image: str, key: Path, docker_data: str) -> str:
    sh("docker", "run", "-d", "--name", name, "--hostname", name, *platform_flags(docker_data),
       f"--volume={key}.pub:/root/.ssh/authorized_keys:ro", image, "/lib/systemd/systemd")
    address = sh("docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", name)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=2", "-o", "LogLevel=ERROR",
             f"root@{address}", "systemctl is-system-running --wait"],
            capture_output=True, text=True)
        if probe.stdout.strip() in ("running", "degraded"):
            return address
        time.sleep(1)
    raise RuntimeError(f"{name} ({address}) did not boot with sshd within 90 s")


def start(names: list[str], image: str, key: Path, docker_data: str = "disk") -> dict[str, str]:
    """Start the hosts side by side; their addresses once each has booted and answers SSH."""
    remove(names)
    with ThreadPoolExecutor(max_workers=8) as pool:
        addresses = list(pool.map(lambda name: _start_one(name, image, key, docker_data), names))
    return dict(zip(names, addresses, strict=True))


def _mine(names: list[str]) -> list[str]:
    """Only the names with the bench prefix: the bench never touches another container."""
    return [name for name in names if name.startswith(PREFIX)]


def remove(names: list[str]) -> None:
    """Remove bench hosts and their anonymous volumes."""
    if mine := _mine(names):
        subprocess.run(["docker", "rm", "-f", "-v", *mine], capture_output=True)


def retire(names: list[str]) -> None:
    """Stop bench hosts and set them aside under new names, their files kept until remove(retired())."""
    for name in _mine(names):
        subprocess.run(["docker", "kill", name], capture_output=True)
        subprocess.run(["docker", "rename", name, f"{RETIRED_PREFIX}{secrets.token_hex(4)}"], capture_output=True)


def retired() -> list[str]:
    return sh("docker", "ps", "--all", "--filter", f"name=^{RETIRED_PREFIX}", "--format", "{{.Names}}").split()


def removal_wait_s(removed_at: float, now: float, shadow_s: float) -> float:
    """Seconds left until a removal at ``removed_at`` no longer slows the creation of files."""
    return max(0.0, removed_at + shadow_s - now)


def exec_in(name: str, *command: str, input: str | None = None) -> str:
    return sh("docker", "exec", "-i", name, *command, input=input)
