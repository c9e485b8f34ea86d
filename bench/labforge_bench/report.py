"""Turn one run's measurements into ratios, targets met or missed, and a Markdown table.

Every ratio compares two figures taken in the same run on the same machine.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from . import hub

RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)
PHASE = re.compile(r"^phase (?P<name>\w+) (?P<seconds>\d+(?:\.\d+)?)$", re.MULTILINE)

# The targets.
CONVERGE_VS_FLOOR_MAX = 1.25
RERUN_MAX_SECONDS = 15.0
UNIT_VS_DOCKER_RUN_MAX = 1.2

# How sure an interval for the median trial must be before it decides measure 1's target.
MEDIAN_INTERVAL_CONFIDENCE = 0.9


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters by host, from ansible-playbook's output."""
    return {
        m["host"]: {key: int(m[key]) for key in ("ok", "changed", "unreachable", "failed")}
        for m in RECAP.finditer(output)
    }


def phases(output: str) -> dict[str, float]:
    """Seconds by step from the ``phase NAME SECONDS`` lines bench/floor.sh prints."""
    return {m["name"]: float(m["seconds"]) for m in PHASE.finditer(output)}


def median_phases(runs: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The median of each step over runs, in the order of the first run."""
    return {name: median([run[name] for run in runs if name in run]) for name in (runs[0] if runs else {})}


def ratio(numerator: float, denominator: float) -> float:
    if denominator <= 0:
        raise ValueError(f"cannot divide by {denominator}")
    return round(numerator / denominator, 2)


def median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 2)


# Measure 1, once per Jupyter image: the rig's small image, and a scipy-notebook-sized one.
CONVERGE_MEASURES = ("converge_vs_floor", "converge_vs_floor_scipy")


def median_interval(values: Sequence[float],
                    confidence: float = MEDIAN_INTERVAL_CONFIDENCE) -> tuple[float, float, float] | None:
    """A distribution-free interval for the median of ``values`` (the sign test's): the k-th smallest
    and the k-th largest value, k as large as keeps the coverage 1 - 2 P(Binomial(n, 1/2) < k) at or
    above ``confidence``. Returns (low, high, coverage); None when n values cannot reach it (n < 5 at 90%)."""
    ordered, n = sorted(values), len(values)
    found, below = None, 0.0
    for k in range(1, n // 2 + 1):
        below += math.comb(n, k - 1) / 2**n
        coverage = 1 - 2 * below
        if coverage < confidence:
            break
        found = (ordered[k - 1], ordered[n - k], round(coverage, 3))
    return found


def verdict(interval: Mapping[str, float] | None, target: float) -> str:
    """``met`` when the whole interval is at or under the target, ``missed`` when it is all above,
    ``not settled`` when it straddles the target or the trials are too few to bound it."""
    if not interval:
        return "not settled"
    return "met" if interval["high"] <= target else "missed" if interval["low"] > target else "not settled"


def converge_summary(m: Mapping[str, Any]) -> dict[str, Any]:
    """Measure 1's ratio and target, and, when each trial has both runs, each trial's own ratio, an
    interval for the median trial, which decides the target, and the seconds labforge adds to the
    script (which, unlike the ratio, do not grow with the image)."""
    r = ratio(m["labforge_s"], m["floor_s"])
    out: dict[str, Any] = {"ratio": r, "target": CONVERGE_VS_FLOOR_MAX}
    if m.get("labforge_runs_s") and len(m["labforge_runs_s"]) == len(m.get("floor_runs_s", [])):
        # Each trial's two runs share the machine's state of the moment, so their ratio is a second view
        # of the same comparison, less moved by a slow minute that hits one trial. On a shared virtual
        # machine the disk and the hypervisor's steal swing pulls by 2x between trials: one run's median
        # alone can land on either side of the target.
        pairs = list(zip(m["labforge_runs_s"], m["floor_runs_s"], strict=True))
        out.update(_trial_ratios(pairs), added_s=median([round(a - b, 2) for a, b in pairs]))
        out["verdict"] = verdict(out.get("paired_interval"), CONVERGE_VS_FLOOR_MAX)
    else:
        out["verdict"] = "met" if r <= CONVERGE_VS_FLOOR_MAX else "missed"
    out["met"] = out["verdict"] == "met"
    if m.get("labforge_cpu") and m.get("floor_cpu"):
        out["cpu"] = cpu_summary(m["labforge_cpu"], m["floor_cpu"])
    return out


def cpu_summary(first: Sequence[Mapping[str, float]], second: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    """What the hypervisor stole during each run of two sides, and the CPU seconds each side's runs
    used (medians): a view of the cost that the stolen time, unlike the wall time, does not move."""
    busy = (median([c["busy_cpu_s"] for c in first]), median([c["busy_cpu_s"] for c in second]))
    return {"steal_shares": [[c["steal_share"] for c in first], [c["steal_share"] for c in second]],
            "busy_cpu_s": list(busy), "busy_ratio": ratio(*busy)}


def _trial_ratios(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Each trial's own ratio, their median and, when the trials are enough, its interval."""
    paired = [ratio(a, b) for a, b in pairs]
    out: dict[str, Any] = {"paired_ratios": paired, "paired_median": median(paired)}
    interval = median_interval(paired)
    if interval:
        out["paired_interval"] = {"low": interval[0], "high": interval[1], "confidence": interval[2]}
    return out


# Two other ways of doing measure 1's work, compared trial by trial as measure 1 is (way a over way b):
# the plain script against itself, the noise labforge's trials sit in; and the script's work as the
# shortest Ansible playbook against the script, what Ansible itself adds.
PAIR_MEASURES = {
    "script_vs_itself_scipy": ("the plain script against itself", "host a / host b", ("host a", "host b")),
    "minimal_playbook_vs_script": ("the script's work as a six-task Ansible playbook (`bench/minimal.yml`) "
                                   "vs the plain script", "playbook / script", ("playbook", "script")),
}


def pair_summary(m: Mapping[str, Any]) -> dict[str, Any]:
    """Two ways of doing the work, per trial (way a over way b): their ratios and differences."""
    pairs = list(zip(m["a_runs_s"], m["b_runs_s"], strict=True))
    out = {**_trial_ratios(pairs), "differences_s": [round(a - b, 2) for a, b in pairs]}
    if m.get("a_cpu") and m.get("b_cpu"):
        out["cpu"] = cpu_summary(m["a_cpu"], m["b_cpu"])
    return out


def summarise(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Ratios and targets from the raw measurements of one run (see bench/run.py)."""
    out: dict[str, Any] = {name: converge_summary(raw[name]) for name in CONVERGE_MEASURES if name in raw}
    if "rerun" in raw:
        m = raw["rerun"]
        out["rerun"] = {
            "target_s": RERUN_MAX_SECONDS,
            "met": m["seconds"] < RERUN_MAX_SECONDS and m["changed"] == 0,
        }
    if raw.get("fleet"):
        base = next((row for row in raw["fleet"] if row["hosts"] == 1), None)
        rows = []
        for row in raw["fleet"]:
            rows.append({
                "hosts": row["hosts"],
                "converge_ratio": ratio(row["converge_s"], base["converge_s"]) if base else None,
                "rerun_ratio": ratio(row["rerun_s"], base["rerun_s"]) if base else None,
            })
        out["fleet"] = rows
    if "mirror" in raw and raw.get("fleet"):
        m, image = raw["mirror"], raw["mirror"]["image_bytes"]
        with_bytes = [row["upstream_bytes"] for row in raw["fleet"]]
        out["mirror"] = {
            "without_per_image": round(m["without_bytes"] / image, 2),
            "with_per_image": round(m["with_bytes"] / image, 2),
            "with_per_image_range": [round(min(with_bytes) / image, 2), round(max(with_bytes) / image, 2)],
            # Once per lab: pulls per host would add a whole image for each extra host. The
            # mirror's own spread stays well under half an image: it fetches a cold blob twice,
            # to store it and to stream it to the client that asked, and the access log shows the
            # second fetch of a large blob cut short by a different amount in each run.
            "flat_in_hosts": max(with_bytes) - min(with_bytes) < image / 2,
        }
    if "time_to_ready" in raw:
        m = raw["time_to_ready"]
        r = ratio(median(m["systemd_unit_s"]), median(m["docker_run_s"]))
        out["time_to_ready"] = {"ratio": r, "target": UNIT_VS_DOCKER_RUN_MAX, "met": r <= UNIT_VS_DOCKER_RUN_MAX}
    out.update({name: pair_summary(raw[name]) for name in PAIR_MEASURES if name in raw})
    if "container_vs_vm" in raw:
        m = raw["container_vs_vm"]
        out["container_vs_vm"] = {"ratio": ratio(median(m["vm_s"]), median(m["container_s"]))}
    if "hub" in raw:
        out["hub"] = hub.summary(raw["hub"])
    return out


def _met(flag: bool) -> str:
    return "met" if flag else "**missed**"


def _verdict(text: str) -> str:
    return "**missed**" if text == "missed" else text


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _trial_by_trial(s: Mapping[str, Any]) -> str:
    each = ", ".join(f"{r:.2f}" for r in s["paired_ratios"])
    bound = s.get("paired_interval")
    within = (f"{bound['confidence']:.0%} interval {bound['low']:.2f} to {bound['high']:.2f}" if bound
              else "too few trials to bound it")
    return f"{each}; median **{s['paired_median']:.2f}x** ({within})"


def _shares(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.0%}" for v in values)


def _cpu_rows(s: Mapping[str, Any], first: str, second: str) -> list[str]:
    if "cpu" not in s:
        return []
    c = s["cpu"]
    return [f"| CPU time the hypervisor stole during each run, trial by trial ({first}; {second}) | "
            f"{_shares(c['steal_shares'][0])}; {_shares(c['steal_shares'][1])} | | |",
            f"| CPU seconds this machine used per run (medians, {first} vs {second}) | "
            f"{c['busy_cpu_s'][0]:.1f} s vs {c['busy_cpu_s'][1]:.1f} s = {c['busy_ratio']:.2f}x | measured | |"]


def _pair_rows(name: str, m: Mapping[str, Any], s: Mapping[str, Any]) -> list[str]:
    title, per_trial, (first, second) = PAIR_MEASURES[name]
    return [f"| {title} on two fresh hosts with `{m['image']['reference']}`, trial by "
            f"trial ({per_trial}) | {_trial_by_trial(s)}; {first} minus {second} from "
            f"{min(s['differences_s']):+.1f} to {max(s['differences_s']):+.1f} s | measured | |",
            *_cpu_rows(s, first, second)]


def _converge_rows(m: Mapping[str, Any], s: Mapping[str, Any]) -> list[str]:
    runs = f" (median of {len(m['labforge_runs_s'])})" if "labforge_runs_s" in m else ""
    image = m.get("image")
    of_image = f" with `{image['reference']}` ({_mb(image['compressed_bytes'])})" if image else ""
    rows = [
        f"| converge of a fresh host (engine + one Jupyter, ready) vs a plain script{of_image}{runs} | "
        f"{m['labforge_s']:.0f} s vs {m['floor_s']:.0f} s = **{s['ratio']:.2f}x** | "
        f"<= {s['target']}x | {_verdict(s['verdict'])} |"
    ]
    if "paired_ratios" in s:
        rows.append(f"| the same, trial by trial (labforge / script) | {_trial_by_trial(s)}; "
                    f"labforge adds {s['added_s']:.1f} s (median) | | |")
    if m.get("floor_phases_s"):
        steps = ", ".join(f"{name.replace('_', ' ')} {seconds:.1f} s"
                          for name, seconds in median_phases(m["floor_phases_s"]).items())
        rows.append(f"| the plain script's steps (medians) | {steps} | | |")
    return rows + _cpu_rows(s, "labforge", "script")


def _vm_rows(m: Mapping[str, Any], s: Mapping[str, Any]) -> list[str]:
    """Measure 4b: site.yml from its launch until Jupyter answers, a container host against a VM host."""
    image = m.get("image")
    of_image = f" with `{image['reference']}`" if image else ""
    runs = f" (median of {len(m['vm_s'])})"
    rows = [f"| `site.yml` launched until Jupyter answers{of_image}: a container host vs a VM host "
            f"({m['accel'].upper()} guest){runs} | {median(m['container_s']):.1f} s vs {median(m['vm_s']):.0f} s "
            f"= VM host **{s['ratio']:.1f}x** | measured | |"]
    if len(m["vm_s"]) > 1:
        rows.append(f"| each trial (container host; VM host) | "
                    f"{', '.join(f'{x:.1f}' for x in m['container_s'])} s; "
                    f"{', '.join(f'{x:.0f}' for x in m['vm_s'])} s | | |")
    if m.get("vm_boot_s"):
        rows.append(f"| of the VM host's time: its guest's boot until cloud-init said done{runs} | "
                    f"{median(m['vm_boot_s']):.0f} s | measured | |")
    if m.get("vm_bytes"):
        rows.append(f"| bytes each host pulled from the upstream (container host vs VM host, first trial) | "
                    f"{_mb(m['container_bytes'][0])} vs {_mb(m['vm_bytes'][0])} | measured | |")
    return rows


def markdown(raw: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    """The results as Markdown: the machine, a table of measures, and the fleet table."""
    machine = raw["machine"]
    lines = [
        f"Run of {raw['started']} on commit `{raw['commit']}`: {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB, kernel {machine['kernel']}, load average "
        f"{machine['loadavg_start']} at the start and {machine['loadavg_end']} at the end; "
        f"the run took {raw['duration_s'] / 60:.0f} min. The Jupyter image is "
        f"{_mb(raw.get('image', {}).get('compressed_bytes', 0))} compressed."
        + (" The lab hosts' engines kept their images in memory (tmpfs), not on the disk."
           if raw.get("settings", {}).get("docker_data") == "memory" else ""),
        "",
        "| measure | result | target | |",
        "| --- | --- | --- | --- |",
    ]
    for name in CONVERGE_MEASURES:
        if name in raw:
            lines += _converge_rows(raw[name], summary[name])
    for name in PAIR_MEASURES:
        if name in raw:
            lines += _pair_rows(name, raw[name], summary[name])
    if "rerun" in raw:
        m, s = raw["rerun"], summary["rerun"]
        runs = f" (median of {len(m['runs_s'])})" if "runs_s" in m else ""
        lines.append(
            f"| idempotent re-run, one host{runs} | {m['seconds']:.1f} s, changed={m['changed']} | "
            f"< {s['target_s']:.0f} s, changed=0 | {_met(s['met'])} |"
        )
    if "time_to_ready" in raw:
        m, s = raw["time_to_ready"], summary["time_to_ready"]
        lines.append(
            f"| Jupyter ready: systemd unit vs raw `docker run` (median of {len(m['systemd_unit_s'])}) | "
            f"{median(m['systemd_unit_s']):.1f} s vs {median(m['docker_run_s']):.1f} s = "
            f"**{s['ratio']:.2f}x** | <= {s['target']}x | {_met(s['met'])} |"
        )
    if "container_vs_vm" in raw:
        lines += _vm_rows(raw["container_vs_vm"], summary["container_vs_vm"])
    if "hub" in raw:
        lines += hub.rows(raw["hub"], summary["hub"])
    if "mirror" in summary:
        m, s = raw["mirror"], summary["mirror"]
        low, high = s["with_per_image_range"]
        lines.append(
            f"| bytes from the upstream, {m['hosts']} hosts: without vs with `registry_mirror` | "
            f"{_mb(m['without_bytes'])} ({s['without_per_image']:.1f}x the image) vs {_mb(m['with_bytes'])} "
            f"({s['with_per_image']:.1f}x); with the mirror {low:.2f} to {high:.2f}x the image for every fleet size "
            f"| once per lab, not per host | {_met(s['flat_in_hosts'])} |"
        )
    if raw.get("fleet"):
        lines += [
            "",
            "| hosts | forks | converge | wall(N)/wall(1) | re-run | wall(N)/wall(1) | re-run changed "
            "| controller peak RSS | bytes from upstream (with mirror) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row, ratios in zip(raw["fleet"], summary["fleet"], strict=True):
            lines.append(
                f"| {row['hosts']} | {row['forks']} | {row['converge_s']:.0f} s | {ratios['converge_ratio']:.2f} | "
                f"{row['rerun_s']:.1f} s | {ratios['rerun_ratio']:.2f} | {row['rerun_changed']} | "
                f"{_mib(row['peak_rss_kib'])} | {_mb(row['upstream_bytes'])} |"
            )
    return "\n".join(lines) + "\n"
