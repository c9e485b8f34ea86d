"""The bench's reading of this machine's CPU time: the /proc/stat fields, and a window between two readings."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench import cpustat  # noqa: E402

# user nice system idle iowait irq softirq steal guest guest_nice
STAT = """cpu  1000 20 300 5000 40 5 15 60 700 0
cpu0 500 10 150 2500 20 2 7 30 350 0
cpu1 500 10 150 2500 20 3 8 30 350 0
intr 12345 0 0
"""


def test_the_aggregate_line_is_read_and_guest_time_is_not_counted_twice():
    times = cpustat.parse(STAT)
    assert times == cpustat.CpuTimes(busy=1000 + 20 + 300 + 5 + 15, idle=5000, iowait=40, steal=60)
    assert times.total == 1340 + 5000 + 40 + 60


def test_a_window_gives_the_seconds_used_and_the_share_stolen():
    before = cpustat.CpuTimes(busy=1000, idle=5000, iowait=10, steal=100)
    after = cpustat.CpuTimes(busy=1000 + 6 * cpustat.TICKS_PER_SECOND, idle=5000 + 300, iowait=10 + 50,
                             steal=100 + 100)
    window = cpustat.window(before, after)
    ticks = 6 * cpustat.TICKS_PER_SECOND + 300 + 50 + 100
    assert window == {"busy_cpu_s": 6.0, "steal_share": round(100 / ticks, 3), "iowait_share": round(50 / ticks, 3)}


def test_an_empty_window_steals_nothing():
    same = cpustat.CpuTimes(busy=1, idle=2, iowait=3, steal=4)
    assert cpustat.window(same, same) == {"busy_cpu_s": 0.0, "steal_share": 0.0, "iowait_share": 0.0}


def test_this_machine_can_be_read_and_its_clock_moves_forward():
    before = cpustat.read()
    sum(range(2_000_000))
    after = cpustat.read()
    assert after.total >= before.total
    assert 0.0 <= cpustat.window(before, after)["steal_share"] <= 1.0


def test_a_timed_block_gives_its_wall_seconds_and_the_machine_cpu_meanwhile():
    with cpustat.Timed() as timed:
        sum(range(2_000_000))
    assert timed.seconds >= 0.0
    assert set(timed.cpu) == {"busy_cpu_s", "steal_share", "iowait_share"}
    assert timed.cpu["busy_cpu_s"] >= 0.0
