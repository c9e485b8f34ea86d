"""The bench's process-tree memory sampling: the tree, and the /proc fields it reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench.procmem import (  # noqa: E402
    PeakSampler,
    children,
    descendants,
    parse_rss_kib,
    tree_rss_kib,
)


def test_descendants_follow_every_generation_and_nothing_else():
    # a child that starts a grandchild, which prints its pid once it runs
    child = subprocess.Popen([sys.executable, "-c",
                              "import subprocess; g = subprocess.Popen(['sleep', '30']); print(g.pid, flush=True);"
                              " g.wait()"], stdout=subprocess.PIPE, text=True)
    sibling = subprocess.Popen(["sleep", "30"])
    grandchild = int(child.stdout.readline())
    try:
        assert grandchild in children(child.pid)
        assert descendants(child.pid) == {child.pid, grandchild}
        assert {child.pid, grandchild, sibling.pid} <= descendants(os.getpid())
        assert os.getppid() not in descendants(os.getpid())
    finally:
        for process in (child, sibling):
            process.kill()
            process.wait()
        os.kill(grandchild, 9)


def test_a_process_that_has_ended_has_no_children():
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert children(gone.pid) == []
    assert descendants(gone.pid) == {gone.pid}


def test_rss_is_read_from_vmrss_and_absent_is_zero():
    assert parse_rss_kib("Name:\tpython3\nVmPeak:\t 9000 kB\nVmRSS:\t  1234 kB\n") == 1234
    assert parse_rss_kib("Name:\tkworker/0:1\nState:\tI (idle)\n") == 0


def test_a_real_tree_counts_its_children():
    alone = tree_rss_kib(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with PeakSampler(os.getpid(), interval=0.05) as sampler:
            subprocess.run([sys.executable, "-c", "pass"], check=True)
        assert tree_rss_kib(os.getpid()) > alone
        assert sampler.peak_kib > alone
    finally:
        child.kill()
        child.wait()
