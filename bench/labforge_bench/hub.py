"""`--measures hub`: the lab's JupyterHub on the hub scenario's swarm (molecule/hub: one manager,
two workers, each a host container with its own engine), driven as students' browsers drive it.

- spawn: from the spawn request to the user's server answering through the proxy, against a
  `docker run` of the same image on the same host (the manager's engine) answering on its port;
- concurrent spawns: wall time for 1, 4 and 12 users asking at once, and whether all succeeded;
- requests per second to a user's server through the proxy against the server directly, both
  from a container on the lab's overlay network (the only place the server is reachable).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import probe_ready
import requests

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT / "molecule" / "shared"))

from labforge_hub import ADMIN, ADMIN_PASSWORD, HubSession  # noqa: E402

MANAGER = "labforge-hub-m1"
PASSWORD = "bench password 1"
RPS_CLIENT = """
import sys, time, urllib.request
url, count = sys.argv[1], int(sys.argv[2])
urllib.request.urlopen(url, timeout=10).read()
began = time.monotonic()
for _ in range(count):
    urllib.request.urlopen(url, timeout=10).read()
print(round(count / (time.monotonic() - began), 1))
"""


def molecule(action: str) -> None:
    env = {**os.environ, "PATH": f"{PROJECT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    subprocess.run(["bash", "-c", f". tests/rig/env.sh && molecule {action} -s hub"], cwd=PROJECT, env=env,
                   check=True, capture_output=True, timeout=1800)


def in_manager(*command: str) -> str:
    done = subprocess.run(["docker", "exec", MANAGER, *command], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-1000:]}")
    return done.stdout.strip()


class Lab:
    def __init__(self) -> None:
        outer = docker.from_env().containers.get(MANAGER)
        self.address = next(iter(outer.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
        self.base = f"http://{self.address}:8000"
        self.admin = HubSession(self.base, ADMIN, ADMIN_PASSWORD)  # made by the role from the scenario's inventory
        assert self.admin.login(), "the bench's admin could not log in"
        self.count = 0

    def users(self, n: int) -> list[HubSession]:
        made = []
        for _ in range(n):
            self.count += 1
            user = HubSession(self.base, f"bench{self.count:02d}", PASSWORD)
            user.signup()
            self.admin.authorize(user.name)
            assert user.login(), f"{user.name} could not log in"
            made.append(user)
        return made

    def spawn(self, user: HubSession) -> float:
        """Seconds from the spawn request to the server answering through the proxy."""
        began = time.monotonic()
        answer = user.api("POST", f"/users/{user.name}/server")
        assert answer.status_code in (201, 202), (answer.status_code, answer.text)
        return probe_ready.wait_ready(f"{self.base}/user/{user.name}/api", began)


def measure_hub(trials: int) -> dict[str, Any]:
    trials = max(trials, 5)
    molecule("destroy")
    molecule("create")
    try:
        molecule("converge")
        lab = Lab()
        image = in_manager("sh", "-c", "grep -o '\"user_image\": \"[^\"]*' /etc/labforge-hub/labforge-hub.json"
                           " | cut -d'\"' -f4")
        spawn_s, docker_run_s = [], []
        for user in lab.users(trials):
            spawn_s.append(round(lab.spawn(user), 2))
            user.stop()
            in_manager("docker", "rm", "-f", "bench-docker-run")
            began = time.monotonic()
            in_manager("docker", "run", "-d", "--name", "bench-docker-run", "-p", "18888:8888", image)
            docker_run_s.append(round(probe_ready.wait_ready(f"http://{lab.address}:18888/api", began), 2))
            in_manager("docker", "rm", "-f", "bench-docker-run")
        concurrent = []
        for n in (1, 4, 12):
            users = lab.users(n)
            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=n) as pool:
                results = list(pool.map(lambda u: _try(lab.spawn, u), users))
            wall = round(time.monotonic() - began, 2)
            concurrent.append({"users": n, "wall_s": wall, "succeeded": sum(r is not None for r in results)})
            for user in users:
                _try(user.stop)
        rps = measure_rps(lab)
    finally:
        molecule("destroy")
    return {"spawn_s": spawn_s, "docker_run_s": docker_run_s, "concurrent": concurrent, **rps,
            "setup": "molecule/hub: 1 manager + 2 workers (host containers), jupyter-test image, 512M per server"}


def measure_rps(lab: Lab, count: int = 500) -> dict[str, Any]:
    user = lab.users(1)[0]
    lab.spawn(user)
    hub_image = in_manager("docker", "inspect", "labforge-hub", "--format", "{{.Config.Image}}")
    path = f"/user/{user.name}/api"

    def rate(url: str) -> float:
        return float(in_manager("docker", "run", "--rm", "--network", "labforge-lab", hub_image,
                                "python3", "-c", RPS_CLIENT, url, str(count)))

    proxy = [rate(f"http://labforge-hub-proxy:8000{path}") for _ in range(3)]
    direct = [rate(f"http://labforge-user-{user.name}:8888{path}") for _ in range(3)]
    user.stop()
    return {"rps_proxy": proxy, "rps_direct": direct, "rps_requests": count}


def _try(call, *args):
    try:
        return call(*args)
    except (AssertionError, TimeoutError, requests.RequestException):
        return None


def summary(m: dict[str, Any]) -> dict[str, Any]:
    single = statistics.median(m["spawn_s"])
    ratio = round(single / statistics.median(m["docker_run_s"]), 2)
    twelve = next(row for row in m["concurrent"] if row["users"] == 12)
    return {
        "spawn_ratio": ratio, "spawn_target": 2.0, "spawn_met": ratio <= 2.0,
        "twelve_ratio": round(twelve["wall_s"] / single, 2), "twelve_target": 4.0,
        "twelve_met": twelve["succeeded"] == 12 and twelve["wall_s"] / single <= 4.0,
        "rps_ratio": round(statistics.median(m["rps_proxy"]) / statistics.median(m["rps_direct"]), 2),
    }


def rows(m: dict[str, Any], s: dict[str, Any]) -> list[str]:
    met = {True: "met", False: "**missed**"}
    lines = [
        f"| hub: spawn request to server answering through the proxy vs `docker run` of the image "
        f"(median of {len(m['spawn_s'])}) | {statistics.median(m['spawn_s']):.1f} s vs "
        f"{statistics.median(m['docker_run_s']):.1f} s = **{s['spawn_ratio']:.2f}x** | <= 2x | {met[s['spawn_met']]} |",
    ]
    for row in m["concurrent"]:
        who = "1 user" if row["users"] == 1 else f"{row['users']} users"
        lines.append(f"| hub: {who} spawning at once | {row['wall_s']:.1f} s, "
                     f"{row['succeeded']} of {row['users']} succeeded | "
                     + ("all, <= 4x one spawn | " + met[s['twelve_met']] if row["users"] == 12 else "measured | ")
                     + " |")
    lines.append(f"| hub: requests per second to a server, proxy vs direct (median of 3 x {m['rps_requests']}) | "
                 f"{statistics.median(m['rps_proxy']):.0f} vs {statistics.median(m['rps_direct']):.0f} = "
                 f"**{s['rps_ratio']:.2f}x** | measured | |")
    return lines
