"""The bench's process-tree memory sampling: the tree, and the /proc fields it reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench.procmem import (  # noqa: E402
    PeakSampler,
    descendants,
    parse_rss_kib,
    parse_stat_ppid,
    tree_rss_kib,
)


def test_descendants_follow_every_generation_and_nothing_else():
    parent_of = {10: 1, 11: 10, 12: 11, 13: 10, 20: 1, 21: 20}
    assert descendants(10, parent_of) == {10, 11, 12, 13}
    assert descendants(21, parent_of) == {21}
    assert descendants(99, parent_of) == {99}


def test_stat_parent_survives_spaces_and_parentheses_in_the_name():
    assert parse_stat_ppid("4242 (ssh: /x (y) [mux]) S 4200 4242 4242 0 -1") == 4200


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
