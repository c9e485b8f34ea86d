"""This machine's CPU time during a timed run, from /proc/stat: what the run's work used, and what the
hypervisor took away (steal), which is what makes the same pull take 32 s in one minute and 38 s in
the next on a shared virtual machine."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuTimes:
    """Ticks summed over all CPUs since boot (guest time is already counted in user and nice)."""
    busy: int
    idle: int
    iowait: int
    steal: int

    @property
    def total(self) -> int:
        return self.busy + self.idle + self.iowait + self.steal


def parse(stat: str) -> CpuTimes:
    """The aggregate ``cpu`` line of /proc/stat."""
    line = next(line for line in stat.splitlines() if line.startswith("cpu "))
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in line.split()[1:9])
    return CpuTimes(busy=user + nice + system + irq + softirq, idle=idle, iowait=iowait, steal=steal)


def read() -> CpuTimes:
    return parse(Path("/proc/stat").read_text())


def window(before: CpuTimes, after: CpuTimes) -> dict[str, Any]:
    """The CPU seconds the machine used between two readings, and the shares of its CPU time stolen and
    idle while waiting for the disk."""
    total = after.total - before.total
    return {
        "busy_cpu_s": round((after.busy - before.busy) / TICKS_PER_SECOND, 2),
        "steal_share": round((after.steal - before.steal) / total, 3) if total > 0 else 0.0,
        "iowait_share": round((after.iowait - before.iowait) / total, 3) if total > 0 else 0.0,
    }


class Timed:
    """Times a block: ``seconds`` of wall time and the machine's ``cpu`` window (see window())."""

    seconds: float
    cpu: dict[str, Any]

    def __enter__(self) -> Timed:
        self._begin, self._before = time.monotonic(), read()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = round(time.monotonic() - self._begin, 2)
        self.cpu = window(self._before, read())
