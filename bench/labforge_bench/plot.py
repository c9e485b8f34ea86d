"""The fleet-scaling figure: wall(N)/wall(1) for a converge and a re-run, and the controller's memory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def fleet_plot(raw: Mapping[str, Any], summary: Mapping[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hosts = [row["hosts"] for row in raw["fleet"]]
    converge = [row["converge_ratio"] for row in summary["fleet"]]
    rerun = [row["rerun_ratio"] for row in summary["fleet"]]
    memory = [row["peak_rss_kib"] / 1024 for row in raw["fleet"]]

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(hosts, hosts, ":", color="grey", label="one host after another (N)")
    left.plot(hosts, [1] * len(hosts), "--", color="grey", label="perfectly parallel (1)")
    left.plot(hosts, converge, "o-", label="full converge")
    left.plot(hosts, rerun, "s-", label="idempotent re-run")
    left.set_xscale("log", base=2)
    left.set_yscale("log", base=2)
    left.set_xticks(hosts, [str(n) for n in hosts])
    left.set_xlabel("lab hosts (forks >= N)")
    left.set_ylabel("wall(N) / wall(1)")
    left.set_title("site.yml over SSH: how wall time grows")
    left.legend(fontsize="small")

    right.plot(hosts, memory, "o-", color="tab:red")
    right.set_xscale("log", base=2)
    right.set_xticks(hosts, [str(n) for n in hosts])
    right.set_ylim(bottom=0)
    right.set_xlabel("lab hosts")
    right.set_ylabel("MiB")
    right.set_title("controller peak RSS (ansible-playbook tree)")

    machine = raw["machine"]
    figure.suptitle(
        f"labforge bench {raw['started'][:10]}, commit {raw['commit']}, "
        f"{machine['cores']} cores, {machine['memory_gib']} GiB",
        fontsize="small",
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
