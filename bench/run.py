#!/usr/bin/env python3
"""`make bench`: what provisioning a lab costs, against the floor, and how it scales with hosts.

Measures (issue 8), all in one run on this machine, reported as ratios within the run:
 1. site.yml on a fresh lab host (engine + one Jupyter instance, ready) vs bench/floor.sh
 2. the idempotent re-run on that host (changed=0)
 3. fleets of N lab hosts over SSH (forks >= N, pipelining, ControlPersist): wall(N)/wall(1)
    for a converge and a re-run, the controller's peak RSS, and the bytes the upstream
    registry served with the lab's registry_mirror and, for one fleet size, without it
 4. time to ready: the Jupyter systemd unit vs a raw `docker run` of the image; and site.yml
    until Jupyter answers on a container host vs a VM host (a hypervisor whose guest, booted
    from the rig's cloud image under TCG, becomes the lab host in the same run)

Writes bench/results/latest.json, latest.md and fleet-scaling.png (or --out).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import probe_ready  # noqa: E402
from labforge_bench import cpustat, fleet, hub, images, inventory, registry_log, report, vm_host  # noqa: E402
from labforge_bench.plot import fleet_plot  # noqa: E402
from labforge_bench.procmem import PeakSampler  # noqa: E402

PROJECT, STATE, PREFIX = fleet.PROJECT, fleet.STATE, fleet.PREFIX
RIG_REGISTRY = "127.0.0.1:5000"
UPSTREAM_PORT = 5001
MIRROR_PORT = 5000
REPOSITORY = inventory.JUPYTER_REPOSITORY
SCIPY_REPOSITORY = images.SCIPY_REPOSITORY
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json"
# A VM host takes 5 to 9 minutes under TCG here: the vm measure runs at most this many trials.
VM_TRIALS = 3

DEFAULT_MEASURES = ("vm", "single", "scipy", "fleet")
MEASURES = (*DEFAULT_MEASURES, "noise", "ansible", "hub")
PROFILE = False  # --profile: per-task times in the playbook logs (adds a little to each task)
DOCKER_DATA = "disk"  # --docker-data: where the lab hosts' engines keep their images

# Removing a lab host deletes tens of thousands of files, and on a disk whose ext4 has no journal
# (this machine's) creating files stays slow for up to 6 minutes after: ext4 will not reuse an
# inode deleted in the last 60 s, or 360 s while its inode table block is dirty, and scans past
# each one (perf: recently_deleted under ext4_create). A pull creates as many files, so a host
# removed just before a timed run made the run's image extraction take up to 25 s longer. The
# bench therefore retires hosts (stops them, keeps their files) and removes them only at the end,
# or when the disk runs short, and then waits the 6 minutes out before the next timed run.
DELETION_SHADOW_S = 360
DISK_RESERVE_BYTES = 20 * 2**30
LAST_REMOVAL = STATE / "last-host-removal"

started_names: set[str] = set()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine(load_start: tuple[float, ...]) -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1),
        "kernel": platform.release(),
        "cpu": next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), "unknown"),
        "docker": fleet.sh("docker", "version", "-f", "{{.Server.Version}}"),
        "ansible_core": fleet.sh("ansible", "--version").splitlines()[0],
        "loadavg_start": [round(x, 2) for x in load_start],
    }


class Upstream:
    """The lab's upstream registry for the bench: Debian's docker-registry on port 5001 of this
    machine, holding the Jupyter test image, its access log counting the bytes it serves."""

    def __init__(self) -> None:
        self.dir = STATE / "upstream"
        self.log = STATE / "upstream-access.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, with_scipy: bool) -> None:
        if probe_ready.answers(f"http://127.0.0.1:{UPSTREAM_PORT}/v2/", any_status=True):
            raise SystemExit(f"something already listens on port {UPSTREAM_PORT}; stop it or free the port")
        self.dir.mkdir(parents=True, exist_ok=True)
        config = STATE / "upstream.yml"
        config.write_text(yaml.safe_dump({
            "version": 0.1,
            "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(self.dir)}},
            "http": {"addr": f"0.0.0.0:{UPSTREAM_PORT}"},
        }))
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        probe_ready.wait_ready(f"http://127.0.0.1:{UPSTREAM_PORT}/v2/", time.monotonic(), timeout=30)
        source, target = f"{RIG_REGISTRY}/{REPOSITORY}", f"127.0.0.1:{UPSTREAM_PORT}/{REPOSITORY}"
        if subprocess.run(["docker", "image", "inspect", source], capture_output=True).returncode != 0:
            fleet.sh("docker", "pull", "-q", source)
        fleet.sh("docker", "tag", source, target)
        fleet.sh("docker", "push", "-q", target)
        if with_scipy:
            log("building or finding the scipy image (the first build downloads about 250 MB of wheels)")
            fleet.sh("docker", "push", "-q", images.scipy_image(f"127.0.0.1:{UPSTREAM_PORT}/{SCIPY_REPOSITORY}"))

    def offset(self) -> int:
        return self.log.stat().st_size

    def served_since(self, offset: int) -> registry_log.Served:
        return registry_log.served(registry_log.read_from(str(self.log), offset)[0])

    def image_bytes(self, repository: str = REPOSITORY) -> int:
        """Compressed size of the image: what one pull fetches."""
        name, tag = repository.split(":")
        request = urllib.request.Request(f"http://127.0.0.1:{UPSTREAM_PORT}/v2/{name}/manifests/{tag}",
                                         headers={"Accept": MANIFEST_TYPES})
        with urllib.request.urlopen(request, timeout=10) as reply:
            manifest = json.load(reply)
        return manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def settle() -> None:
    """Write every dirty page to the disk before a timed run, so that no run pays for the write-back
    of the one before it (a pull leaves up to a gigabyte behind)."""
    began = time.monotonic()
    os.sync()
    if time.monotonic() - began > 1:
        log(f"the disk took {time.monotonic() - began:.1f} s to write back what was pending")


def start_hosts(names: list[str], image: str, key: Path) -> dict[str, str]:
    make_room()
    started_names.update(names)
    return fleet.start(names, image, key, DOCKER_DATA)


def retire_hosts(names: list[str]) -> None:
    fleet.retire(names)
    started_names.difference_update(names)


def remove_retired_hosts() -> None:
    names = fleet.retired()
    if names:
        log(f"removing {len(names)} retired lab hosts")
        fleet.remove(names)
        os.sync()
        LAST_REMOVAL.touch()


def wait_out_removals() -> None:
    """Wait until the last removal of hosts no longer slows the creation of files (see DELETION_SHADOW_S)."""
    if LAST_REMOVAL.exists():
        left = fleet.removal_wait_s(LAST_REMOVAL.stat().st_mtime, time.time(), DELETION_SHADOW_S)
        if left > 0:
            log(f"waiting {left:.0f} s until the files of removed hosts no longer slow the disk")
            time.sleep(left)


def make_room() -> None:
    """Remove the retired hosts when the engine's disk has less than DISK_RESERVE_BYTES free."""
    if not fleet.retired():
        return
    root = fleet.sh("docker", "info", "--format", "{{.DockerRootDir}}")
    if shutil.disk_usage(root).free < DISK_RESERVE_BYTES:
        remove_retired_hosts()
        wait_out_removals()


def playbook(label: str, inv: dict[str, Any], forks: int, key: Path, *args: str,
             playbook_file: Path = PROJECT / "site.yml") -> dict[str, Any]:
    """Run site.yml (or ``playbook_file``) against ``inv``, timing it and sampling the controller's memory."""
    (STATE / "inventories").mkdir(parents=True, exist_ok=True)
    (STATE / "logs").mkdir(parents=True, exist_ok=True)
    inv_file = STATE / "inventories" / f"{label}.yml"
    inv_file.write_text(yaml.safe_dump(inv, sort_keys=False))
    control_dir = STATE / "cp" / label  # no SSH master reused across labs whose addresses repeat
    control_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg"),
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s -o PreferredAuthentications=publickey",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    if PROFILE:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
    log_file = STATE / "logs" / f"{label}.log"
    loadavg = [round(x, 2) for x in os.getloadavg()]
    command = ["ansible-playbook", "-i", str(inv_file), str(playbook_file), *args]
    with open(log_file, "w") as out, cpustat.Timed() as timed:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT)
        with PeakSampler(process.pid) as sampler:
            rc = process.wait()
    seconds, cpu = timed.seconds, timed.cpu
    output = log_file.read_text()
    if rc != 0:
        raise RuntimeError(f"{label}: ansible-playbook failed (rc {rc}); log {log_file}:\n{output[-3000:]}")
    recap = report.recap(output)
    log(f"{label}: {seconds:.1f} s, changed={sum(h['changed'] for h in recap.values())}, "
        f"peak RSS {sampler.peak_kib // 1024} MiB, {cpu['steal_share']:.0%} of the CPU stolen")
    return {"seconds": seconds, "recap": recap, "peak_rss_kib": sampler.peak_kib, "forks": forks,
            "loadavg_before": loadavg, "cpu": cpu}


@dataclass
class ScriptRun:
    """A script's seconds over SSH, the seconds of the steps it reports, and the machine's CPU meanwhile."""
    seconds: float
    phases: dict[str, float]
    cpu: dict[str, Any]


def timed_ssh_script(address: str, key: Path, script: Path, env: dict[str, str]) -> ScriptRun:
    assignments = [f"{name}={value}" for name, value in env.items()]
    with cpustat.Timed() as timed:
        done = subprocess.run(["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                               "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@{address}",
                               "env", *assignments, "bash", "-s"], stdin=script.open(), check=True,
                              capture_output=True, text=True)
    return ScriptRun(timed.seconds, report.phases(done.stdout), timed.cpu)


def run_floor_script(address: str, key: Path, registry: str, repository: str, token: str) -> ScriptRun:
    """bench/floor.sh on one host."""
    return timed_ssh_script(address, key, BENCH / "floor.sh",
                            {"REGISTRY": registry, "IMAGE": f"{registry}/{repository}", "TOKEN": token})


def probe_in(host: str, url: str, token: str, *command: str) -> float:
    """Seconds from running ``command`` on ``host`` until ``url`` answers there."""
    out = fleet.exec_in(host, "python3", "-", url, "--token", token, "--", *command,
                        input=(BENCH / "probe_ready.py").read_text())
    return float(out.splitlines()[-1])


@dataclass
class Converged:
    """Measure 1 for one image, the bytes each host of the first trial pulled, and the last
    trial's lab host, still running."""
    measure: dict[str, Any]
    bytes_direct: dict[str, int]
    lab: str
    inventory: dict[str, Any]
    token: str


def measure_converge(repository: str, label: str, image: str, key: Path, upstream: Upstream, gateway: str,
                     trials: int) -> Converged:
    """Measure 1 for one Jupyter image: site.yml vs the floor, each trial on two fresh hosts.

    The floor and site.yml run one after the other, each with the whole machine (the order
    alternates, so a drift in the machine's speed does not favour one); the medians are compared."""
    registry = f"{gateway}:{UPSTREAM_PORT}"
    lab, floor = f"{PREFIX}{label}", f"{PREFIX}{label}-floor"
    floors: list[ScriptRun] = []
    converges: list[dict[str, Any]] = []
    bytes_direct: dict[str, int] = {}
    for trial in range(trials):
        token = secrets.token_hex(16)
        addresses = start_hosts([lab, floor], image, key)
        inv = inventory.lab_inventory({lab: addresses[lab]}, registry, token, str(key), repository=repository)
        offset = upstream.offset()

        def run_floor() -> None:
            floors.append(run_floor_script(addresses[floor], key, registry, repository, token))

        def run_labforge() -> None:
            converges.append(playbook(f"{label}-converge-{trial + 1}", inv, 2, key))

        for step in (run_floor, run_labforge) if trial % 2 == 0 else (run_labforge, run_floor):
            settle()
            step()
        log(f"{label} trial {trial + 1}: floor {floors[-1].seconds} s {floors[-1].phases} "
            f"({floors[-1].cpu['steal_share']:.0%} stolen), labforge {converges[-1]['seconds']} s")
        if trial == 0:
            per_host = upstream.served_since(offset).bytes_by_client
            bytes_direct = {"labforge": per_host.get(addresses[lab], 0), "floor": per_host.get(addresses[floor], 0)}
        retire_hosts([floor] if trial == trials - 1 else [lab, floor])
    labforge_runs, floor_runs = [c["seconds"] for c in converges], [f.seconds for f in floors]
    measure = {"image": {"reference": repository, "compressed_bytes": upstream.image_bytes(repository)},
               "labforge_s": report.median(labforge_runs), "floor_s": report.median(floor_runs),
               "labforge_runs_s": labforge_runs, "floor_runs_s": floor_runs,
               "floor_phases_s": [f.phases for f in floors],
               "labforge_cpu": [c["cpu"] for c in converges], "floor_cpu": [f.cpu for f in floors],
               "side_by_side": False, "loadavg_before": converges[0]["loadavg_before"]}
    return Converged(measure, bytes_direct, lab, inv, token)


def measure_single_host(image: str, key: Path, upstream: Upstream, gateway: str, trials: int) -> dict[str, Any]:
    """Measures 1, 2 and 4a with the rig's Jupyter image: converge vs the floor, the re-run, and
    the unit vs docker run on the last converged host."""
    converged = measure_converge(REPOSITORY, "single", image, key, upstream, gateway, trials)
    lab, inv, token = converged.lab, converged.inventory, converged.token
    reruns = [playbook(f"single-rerun-{trial + 1}", inv, 2, key) for trial in range(trials)]

    unit_s, run_s = [], []
    image_ref = f"{gateway}:{UPSTREAM_PORT}/{REPOSITORY}"
    for _ in range(trials):
        fleet.exec_in(lab, "systemctl", "stop", "labforge-jupyter@lab.service")
        unit_s.append(probe_in(lab, "http://127.0.0.1:8888/api/status", token,
                               "systemctl", "start", "labforge-jupyter@lab.service"))
        fleet.exec_in(lab, "sh", "-c", "docker rm -f bench-raw 2>/dev/null || true")
        # The same limits as the unit, so the difference is what the unit itself costs.
        run_s.append(probe_in(lab, "http://127.0.0.1:8899/api/status", token,
                              "docker", "run", "-d", "--name", "bench-raw", "--memory", "1g", "--memory-swap", "1g",
                              "--cpus", "1", "-p", "127.0.0.1:8899:8888", "-e", f"JUPYTER_TOKEN={token}", image_ref))
        fleet.exec_in(lab, "docker", "rm", "-f", "bench-raw")
    log(f"time to ready: unit {unit_s}, docker run {run_s}")
    retire_hosts([lab])
    rerun_runs = [r["seconds"] for r in reruns]
    return {
        "converge_vs_floor": converged.measure,
        "rerun": {"seconds": report.median(rerun_runs), "runs_s": rerun_runs,
                  "changed": max(sum(h["changed"] for h in r["recap"].values()) for r in reruns),
                  "loadavg_before": reruns[0]["loadavg_before"]},
        "time_to_ready": {"systemd_unit_s": unit_s, "docker_run_s": run_s},
        "bytes_one_host_direct": converged.bytes_direct,
    }


def measure_scipy_converge(image: str, key: Path, upstream: Upstream, gateway: str, trials: int) -> dict[str, Any]:
    """Measure 1 again with an image of a docker-stacks scipy-notebook's size and contents."""
    converged = measure_converge(SCIPY_REPOSITORY, "scipy", image, key, upstream, gateway, trials)
    retire_hosts([converged.lab])
    return converged.measure


Runner = Callable[[str, str, str, str, int], ScriptRun]  # (host, address, repository, token, trial)


def measure_pair(label: str, repository: str, image: str, key: Path, upstream: Upstream,
                 runners: tuple[Runner, Runner], trials: int) -> dict[str, Any]:
    """Measure 1's design for two other ways of doing the work: each trial on two fresh hosts, one
    after the other, the order alternating; way a on host a, way b on host b."""
    hosts = [f"{PREFIX}{label}-a", f"{PREFIX}{label}-b"]
    runs: dict[str, list[ScriptRun]] = {host: [] for host in hosts}
    for trial in range(trials):
        addresses = start_hosts(hosts, image, key)
        token = secrets.token_hex(16)
        steps = list(zip(hosts, runners, strict=True))
        for host, runner in steps if trial % 2 == 0 else steps[::-1]:
            settle()
            runs[host].append(runner(host, addresses[host], repository, token, trial))
        log(f"{label} trial {trial + 1}: " + ", ".join(f"{runs[h][-1].seconds} s {runs[h][-1].phases}" for h in hosts))
        retire_hosts(hosts)
    out: dict[str, Any] = {"image": {"reference": repository, "compressed_bytes": upstream.image_bytes(repository)}}
    for side, host in zip("ab", hosts, strict=True):
        out[f"{side}_runs_s"] = [r.seconds for r in runs[host]]
        out[f"{side}_phases_s"] = [r.phases for r in runs[host]]
        out[f"{side}_cpu"] = [r.cpu for r in runs[host]]
    return out


def floor_runner(key: Path, gateway: str) -> Runner:
    registry = f"{gateway}:{UPSTREAM_PORT}"
    return lambda host, address, repository, token, trial: run_floor_script(address, key, registry, repository, token)


def minimal_playbook_runner(key: Path, gateway: str) -> Runner:
    """bench/minimal.yml, the script's work as the shortest Ansible playbook, with site.yml's inventory."""
    registry = f"{gateway}:{UPSTREAM_PORT}"

    def run_minimal(host: str, address: str, repository: str, token: str, trial: int) -> ScriptRun:
        inv = inventory.lab_inventory({host: address}, registry, token, str(key), repository=repository)
        done = playbook(f"minimal-{trial + 1}", inv, 2, key, playbook_file=BENCH / "minimal.yml")
        return ScriptRun(done["seconds"], {}, done["cpu"])

    return run_minimal


def measure_script_against_itself(image: str, key: Path, upstream: Upstream, gateway: str,
                                  trials: int) -> dict[str, Any]:
    """The plain script on both hosts of each trial (scipy-sized image): how far two runs of the same
    work drift apart on this machine, the noise labforge's trials sit in."""
    floor = floor_runner(key, gateway)
    return measure_pair("noise", SCIPY_REPOSITORY, image, key, upstream, (floor, floor), trials)


def measure_minimal_playbook(image: str, key: Path, upstream: Upstream, gateway: str,
                             trials: int) -> dict[str, Any]:
    """bench/minimal.yml against the plain script (test image): how much of what labforge adds to the
    script any Ansible playbook adds, before labforge's own checks, hardening and services."""
    runners = (minimal_playbook_runner(key, gateway), floor_runner(key, gateway))
    return measure_pair("minimal", REPOSITORY, image, key, upstream, runners, trials)


def wait_in(host: str, url: str, token: str) -> None:
    """Wait on ``host`` until ``url`` answers with the token."""
    fleet.exec_in(host, "python3", "-", url, "--token", token, "--timeout", "120",
                  input=(BENCH / "probe_ready.py").read_text())


def site_until_jupyter(label: str, inv: dict[str, Any], key: Path, upstream: Upstream, host: str,
                       address: str, url: Callable[[], str], token: str) -> dict[str, Any]:
    """site.yml from its launch until Jupyter answers ``url()`` with the token, probed on ``host``
    (the lab host, or the VM's hypervisor host), and the bytes ``host``'s address pulled meanwhile."""
    offset, began = upstream.offset(), time.monotonic()
    run = playbook(label, inv, 2, key)
    wait_in(host, url(), token)
    return {"seconds": round(time.monotonic() - began, 2), "playbook_s": run["seconds"], "cpu": run["cpu"],
            "loadavg_before": run["loadavg_before"],
            "bytes": upstream.served_since(offset).bytes_by_client.get(address, 0)}


def measure_container_vs_vm(image: str, key: Path, upstream: Upstream, gateway: str, trials: int) -> dict[str, Any]:
    """Measure 4b: site.yml from its launch until Jupyter answers, on a container host and on a VM host
    (a host container that site.yml makes a hypervisor, whose guest, booted from the rig's cloud image,
    it then provisions as a lab host), each trial on two fresh hosts, one after the other."""
    vm_host.check_cloud_image()
    registry = f"{gateway}:{UPSTREAM_PORT}"
    container, hypervisor = f"{PREFIX}vm-container", f"{PREFIX}vm-hypervisor"
    known_hosts = STATE / "vm-known-hosts"
    runs: dict[str, list[dict[str, Any]]] = {"container": [], "vm": []}
    boots: list[dict[str, Any]] = []
    for trial in range(trials):
        token = secrets.token_hex(16)
        addresses = start_hosts([container, hypervisor], image, key)
        try:
            vm_host.prepare(hypervisor)  # the cloud image copied in: preparation, not timed
            known_hosts.unlink(missing_ok=True)

            def run_container() -> None:
                inv = inventory.lab_inventory({container: addresses[container]}, registry, token, str(key))
                runs["container"].append(site_until_jupyter(
                    f"vm-container-{trial + 1}", inv, key, upstream, container, addresses[container],
                    lambda: "http://127.0.0.1:8888/api/status", token))

            def run_vm() -> None:
                inv = vm_host.lab_inventory(hypervisor, addresses[hypervisor], registry, token, key, known_hosts)
                runs["vm"].append(site_until_jupyter(
                    f"vm-host-{trial + 1}", inv, key, upstream, hypervisor, addresses[hypervisor],
                    lambda: f"http://{vm_host.guest_address(hypervisor)}:8888/api/status", token))
                boots.append(vm_host.boot_record(hypervisor))

            for step in (run_container, run_vm) if trial % 2 == 0 else (run_vm, run_container):
                settle()
                step()
        finally:
            vm_host.destroy_guest(hypervisor)
            retire_hosts([container, hypervisor])
        log(f"vm trial {trial + 1}: container host {runs['container'][-1]['seconds']} s, VM host "
            f"{runs['vm'][-1]['seconds']} s (its guest booted in {boots[-1]['boot_seconds']} s)")
    out: dict[str, Any] = {"image": {"reference": REPOSITORY, "compressed_bytes": upstream.image_bytes()},
                           "accel": "tcg" if boots[0]["domain_type"] == "qemu" else "kvm",
                           "vm_boot_s": [b["boot_seconds"] for b in boots]}
    for side, side_runs in runs.items():
        out.update({f"{side}_s": [r["seconds"] for r in side_runs],
                    f"{side}_playbook_s": [r["playbook_s"] for r in side_runs],
                    f"{side}_bytes": [r["bytes"] for r in side_runs],
                    f"{side}_cpu": [r["cpu"] for r in side_runs],
                    f"{side}_loadavg_before": [r["loadavg_before"] for r in side_runs]})
    return out


def reset_mirror(name: str, address: str) -> None:
    """Empty the mirror's cache, so each lab's first pull crosses from the upstream."""
    unit = f"labforge-registry-mirror@{MIRROR_PORT}"
    # The role keeps each upstream's cache in a directory named after the upstream.
    fleet.exec_in(name, "sh", "-c", f"systemctl stop {unit} && rm -rf /var/lib/docker-registry/*/docker "
                  f"&& systemctl start {unit}")
    probe_ready.wait_ready(f"http://{address}:{MIRROR_PORT}/v2/", time.monotonic(), timeout=30)


def mirror_served(name: str, since: float) -> int:
    """Blob bytes the mirror served to the lab hosts since ``since`` (its access lines are in the journal)."""
    lines = fleet.exec_in(name, "journalctl", "-u", f"labforge-registry-mirror@{MIRROR_PORT}", "-o", "cat",
                          "--since", f"@{int(since)}")
    return registry_log.served(lines.splitlines()).blob_bytes


def measure_fleet(n: int, image: str, key: Path, upstream: Upstream, gateway: str,
                  mirror: tuple[str, str] | None) -> dict[str, Any]:
    names = [f"{PREFIX}h{i:02d}" for i in range(1, n + 1)]
    addresses = start_hosts(names, image, key)
    token = secrets.token_hex(16)
    if mirror is not None:
        reset_mirror(*mirror)
        registry = f"{mirror[1]}:{MIRROR_PORT}"
    else:
        registry = f"{gateway}:{UPSTREAM_PORT}"
    inv = inventory.lab_inventory(addresses, registry, token, str(key), mirror, f"{gateway}:{UPSTREAM_PORT}")
    forks = n + (1 if mirror else 0)
    label = f"fleet-{n}" + ("" if mirror else "-no-mirror")
    since, offset = time.time(), upstream.offset()
    settle()
    converge = playbook(f"{label}-converge", inv, forks, key)
    served = upstream.served_since(offset)
    row: dict[str, Any] = {
        "hosts": n, "forks": forks, "mirror": mirror is not None,
        "converge_s": converge["seconds"], "peak_rss_kib": converge["peak_rss_kib"],
        "converge_steal_share": converge["cpu"]["steal_share"],
        "loadavg_before": converge["loadavg_before"],
        "upstream_bytes": served.blob_bytes, "upstream_blob_gets": served.blob_gets,
        "upstream_clients": sorted(served.bytes_by_client),
    }
    if mirror is not None:
        row["mirror_served_bytes"] = mirror_served(mirror[0], since)
        rerun = playbook(f"{label}-rerun", inv, forks, key)
        row.update(rerun_s=rerun["seconds"], rerun_changed=sum(h["changed"] for h in rerun["recap"].values()),
                   rerun_peak_rss_kib=rerun["peak_rss_kib"])
    retire_hosts(names)
    return row


def measure_fleets(args: argparse.Namespace, image: str, image_bytes: int, key: Path, upstream: Upstream,
                   gateway: str, raw: dict[str, Any]) -> None:
    """Measure 3: the fleets through the lab's mirror, and one fleet straight from the upstream."""
    mirror_name = f"{PREFIX}mirror"
    mirror_address = start_hosts([mirror_name], image, key)[mirror_name]
    mirror_inv = inventory.lab_inventory({}, "", "", str(key), (mirror_name, mirror_address),
                                         f"{gateway}:{UPSTREAM_PORT}")
    raw["mirror_host_converge_s"] = playbook("mirror-converge", mirror_inv, 1, key)["seconds"]
    mirror = (mirror_name, mirror_address)
    raw["fleet"] = []
    for n in args.sizes:
        raw["fleet"].append(measure_fleet(n, image, key, upstream, gateway, mirror))
        save_partial(raw)
    if args.without_mirror_hosts:
        n = args.without_mirror_hosts
        without = measure_fleet(n, image, key, upstream, gateway, None)
        with_row = next((row for row in raw["fleet"] if row["hosts"] == n), None)
        raw["fleet_without_mirror"] = without
        raw["mirror"] = {"hosts": n, "image_bytes": image_bytes, "without_bytes": without["upstream_bytes"],
                         "with_bytes": with_row["upstream_bytes"] if with_row else None,
                         "without_converge_s": without["converge_s"],
                         "with_converge_s": with_row["converge_s"] if with_row else None}
    retire_hosts([mirror_name])


def save_partial(raw: dict[str, Any]) -> None:
    """What is measured so far, so a run that fails late still leaves its figures."""
    (STATE / "partial.json").write_text(json.dumps(raw, indent=2) + "\n")


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = os.getloadavg()
    began, started = time.monotonic(), datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    # "-dirty" when the work tree differs from the commit, so a result never names code it did not run.
    commit = fleet.sh("git", "-C", str(PROJECT), "describe", "--always", "--dirty", "--abbrev=7")
    raw: dict[str, Any] = {"started": started, "commit": commit,
                           "machine": machine(load_start), "settings": vars(args).copy()}
    raw["settings"]["out"] = str(args.out)
    key, image, gateway = fleet.ssh_key(), fleet.host_image(), fleet.gateway()
    log(f"lab host image {image}; hosts reach this machine at {gateway}")
    remove_retired_hosts()  # left by a run that was stopped
    wait_out_removals()
    upstream = Upstream()
    upstream.start(with_scipy=bool({"scipy", "noise"} & set(args.measures)))
    try:
        image_bytes = upstream.image_bytes()
        raw["image"] = {"reference": REPOSITORY, "compressed_bytes": image_bytes}
        if "vm" in args.measures:
            raw["container_vs_vm"] = measure_container_vs_vm(image, key, upstream, gateway,
                                                             min(args.trials, VM_TRIALS))
            save_partial(raw)
        if "single" in args.measures:
            raw.update(measure_single_host(image, key, upstream, gateway, args.trials))
            save_partial(raw)
        if "scipy" in args.measures:
            raw["converge_vs_floor_scipy"] = measure_scipy_converge(image, key, upstream, gateway, args.trials)
            save_partial(raw)
        if "fleet" in args.measures:
            measure_fleets(args, image, image_bytes, key, upstream, gateway, raw)
        if "noise" in args.measures:
            raw["script_vs_itself_scipy"] = measure_script_against_itself(image, key, upstream, gateway, args.trials)
            save_partial(raw)
        if "ansible" in args.measures:
            raw["minimal_playbook_vs_script"] = measure_minimal_playbook(image, key, upstream, gateway, args.trials)
            save_partial(raw)
        if "hub" in args.measures:
            raw["hub"] = hub.measure_hub(args.trials)
            save_partial(raw)
    finally:
        upstream.stop()
        retire_hosts(sorted(started_names))
        remove_retired_hosts()
    raw["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    raw["duration_s"] = round(time.monotonic() - began)
    return raw


def sizes(text: str) -> list[int]:
    values = [int(part) for part in text.split(",")]
    if not values or values[0] != 1 or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("a comma-separated list of host counts starting with 1, e.g. 1,4,8,16")
    return values


def measures(text: str) -> list[str]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(values) - set(MEASURES))
    if not values or unknown:
        raise argparse.ArgumentTypeError(f"a comma-separated list of {', '.join(MEASURES)}; got {text!r}")
    return values


def main() -> int:
    global PROFILE, DOCKER_DATA
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes, default=[1, 4, 8, 16], help="fleet sizes (default 1,4,8,16)")
    parser.add_argument("--without-mirror-hosts", type=int, default=4,
                        help="fleet size of the run without the mirror (0: skip; default 4)")
    parser.add_argument("--trials", type=int, default=8,
                        help="repeats of the single-host and scipy measures, and of the vm measure up to "
                             f"{VM_TRIALS} (default 8: the fewest trials whose 90%% interval for the median trial "
                             "leaves out the lowest and the highest)")
    parser.add_argument("--measures", type=measures, default=list(DEFAULT_MEASURES),
                        help="which measures to run: vm (site.yml until Jupyter answers: container host vs "
                             "VM host), single (converge vs floor, re-run, unit vs docker run), scipy (converge "
                             "vs floor with a scipy-notebook-sized image), "
                             "fleet (fleet scaling and the mirror), noise (the plain script against itself with "
                             "the scipy-sized image, not in the default), ansible (bench/minimal.yml, the script's "
                             "work as a six-task playbook, against the script, test image, not in the default), "
                             "hub (JupyterHub on the hub scenario's swarm: spawn vs docker run, 1/4/12 users at "
                             "once, requests per second through the proxy; not in the default); "
                             "default vm,single,scipy,fleet")
    parser.add_argument("--profile", action="store_true",
                        help="per-task times (profile_tasks) in the playbook logs under .rig/bench/logs")
    parser.add_argument("--docker-data", choices=fleet.DOCKER_DATA_PLACES, default="disk",
                        help="where each lab host's engine keeps its images: a volume on this machine's disk "
                             "(default) or a tmpfs (memory: takes the disk out of the pulls' times; a 16-host "
                             "fleet needs about 8 GB)")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="where the results go")
    args = parser.parse_args()
    PROFILE, DOCKER_DATA = args.profile, args.docker_data
    raw = run(args)
    summary = report.summarise(raw)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps({**raw, "summary": summary}, indent=2) + "\n")
    (args.out / "latest.md").write_text(report.markdown(raw, summary))
    if raw.get("fleet"):
        fleet_plot(raw, summary, args.out / "fleet-scaling.png")
    print((args.out / "latest.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
