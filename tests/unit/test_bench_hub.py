"""The hub bench's ratios and targets (bench/labforge_bench/hub.py) from raw measurements."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench import hub  # noqa: E402

RAW = {
    "spawn_s": [6.0, 5.0, 7.0, 6.5, 5.5], "docker_run_s": [3.0, 3.2, 2.8, 3.1, 2.9],
    "concurrent": [{"users": 1, "wall_s": 6.0, "succeeded": 1}, {"users": 4, "wall_s": 10.0, "succeeded": 4},
                   {"users": 12, "wall_s": 20.0, "succeeded": 12}],
    "rps_proxy": [300.0, 320.0, 310.0], "rps_direct": [600.0, 620.0, 610.0], "rps_requests": 500,
}


def test_spawn_is_compared_with_docker_run_by_medians():
    s = hub.summary(RAW)
    assert s["spawn_ratio"] == round(6.0 / 3.0, 2) and s["spawn_met"]
    assert s["rps_ratio"] == round(310 / 610, 2)


def test_twelve_users_must_all_succeed_within_four_single_spawns():
    assert hub.summary(RAW)["twelve_met"]
    slow = {**RAW, "concurrent": [{"users": 12, "wall_s": 25.0, "succeeded": 12}]}
    assert not hub.summary(slow)["twelve_met"]
    failed = {**RAW, "concurrent": [{"users": 12, "wall_s": 10.0, "succeeded": 11}]}
    assert not hub.summary(failed)["twelve_met"]


def test_the_rows_name_each_figure_and_the_misses():
    text = "\n".join(hub.rows(RAW, hub.summary(RAW)))
    assert "**2.00x**" in text and "12 of 12 succeeded" in text and "310 vs 610" in text
    missed = {**RAW, "spawn_s": [9.0] * 5}
    assert "**missed**" in hub.rows(missed, hub.summary(missed))[0]
