"""The bench's ratios, targets and Markdown table, from made-up measurements."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench.inventory import lab_inventory  # noqa: E402
from labforge_bench.report import (  # noqa: E402
    markdown,
    median_interval,
    median_phases,
    phases,
    ratio,
    recap,
    summarise,
)

RAW = {
    "started": "2026-11-23T07:00:00+00:00",
    "commit": "abc1234",
    "duration_s": 2400,
    "machine": {"cores": 2, "memory_gib": 23.5, "kernel": "6.1.0", "loadavg_start": [0.1, 0.2, 0.3],
                "loadavg_end": [1.0, 1.1, 1.2]},
    "converge_vs_floor": {"labforge_s": 130.0, "floor_s": 100.0},
    "rerun": {"seconds": 16.0, "changed": 0},
    "time_to_ready": {"systemd_unit_s": [3.3, 3.1, 9.0], "docker_run_s": [3.0, 2.9, 3.0]},
    "container_vs_vm": {"container_s": [0.5, 0.4, 0.6], "vm_s": [10.0, 9.0, 11.0], "accel": "tcg"},
    "mirror": {"hosts": 4, "image_bytes": 100_000_000, "without_bytes": 400_000_000, "with_bytes": 100_000_000},
    "fleet": [
        {"hosts": 1, "forks": 2, "converge_s": 100.0, "rerun_s": 10.0, "rerun_changed": 0,
         "peak_rss_kib": 102400, "upstream_bytes": 100_000_000},
        {"hosts": 4, "forks": 5, "converge_s": 150.0, "rerun_s": 12.0, "rerun_changed": 0,
         "peak_rss_kib": 204800, "upstream_bytes": 100_000_000},
    ],
}


def test_ratios_and_targets_follow_the_measurements():
    summary = summarise(RAW)
    assert summary["converge_vs_floor"] == {"ratio": 1.3, "target": 1.25, "verdict": "missed", "met": False}
    assert summary["rerun"]["met"] is False
    assert summary["time_to_ready"]["ratio"] == 1.1  # medians 3.3 / 3.0: the 9.0 outlier does not count
    assert summary["time_to_ready"]["met"] is True
    assert summary["container_vs_vm"]["ratio"] == 20.0
    assert summary["mirror"] == {
        "without_per_image": 4.0, "with_per_image": 1.0, "with_per_image_range": [1.0, 1.0], "flat_in_hosts": True,
    }
    assert summary["fleet"] == [
        {"hosts": 1, "converge_ratio": 1.0, "rerun_ratio": 1.0},
        {"hosts": 4, "converge_ratio": 1.5, "rerun_ratio": 1.2},
    ]


def test_a_rerun_that_changes_something_misses_even_when_fast():
    assert summarise({"rerun": {"seconds": 5.0, "changed": 1}})["rerun"]["met"] is False
    assert summarise({"rerun": {"seconds": 5.0, "changed": 0}})["rerun"]["met"] is True


def test_markdown_shows_each_measure_and_every_fleet_row():
    text = markdown(RAW, summarise(RAW))
    assert "2 cores, 23.5 GiB, kernel 6.1.0" in text
    assert "130 s vs 100 s = **1.30x** | <= 1.25x | **missed**" in text
    assert "| 4 | 5 | 150 s | 1.50 | 12.0 s | 1.20 | 0 | 200 MiB | 100.0 MB |" in text
    assert "400.0 MB (4.0x the image) vs 100.0 MB (1.0x)" in text
    assert "TCG guest" in text


def test_ratio_refuses_a_zero_denominator():
    with pytest.raises(ValueError, match="divide by 0"):
        ratio(1.0, 0)


def test_recap_reads_each_host():
    output = (
        "PLAY RECAP *****\n"
        "labforge-bench-h01         : ok=60   changed=0    unreachable=0    failed=0    skipped=9\n"
        "labforge-bench-mirror      : ok=12   changed=2    unreachable=0    failed=0    skipped=1\n"
    )
    assert recap(output) == {
        "labforge-bench-h01": {"ok": 60, "changed": 0, "unreachable": 0, "failed": 0},
        "labforge-bench-mirror": {"ok": 12, "changed": 2, "unreachable": 0, "failed": 0},
    }


def test_inventory_names_the_mirror_in_the_image_reference():
    inv = lab_inventory({"h1": "10.0.0.2"}, "10.0.0.9:5000", "t" * 32, "/k", ("m", "10.0.0.9"), "10.0.0.1:5001")
    children = inv["all"]["children"]
    assert children["jupyter_hosts"]["vars"]["jupyter_image"] == "10.0.0.9:5000/labforge/jupyter-test:2"
    assert children["container_hosts"]["vars"]["docker_engine_insecure_registries"] == ["10.0.0.9:5000"]
    assert children["registry_mirror_hosts"]["vars"] == {
        "registry_mirror_upstream": "http://10.0.0.1:5001",
        "registry_mirror_prefetch": ["labforge/jupyter-test:2"],
    }
    assert children["container_hosts"]["hosts"] == {"h1": {"ansible_host": "10.0.0.2"}}
    assert "registry_mirror_hosts" not in lab_inventory({}, "r:1", "t", "/k")["all"]["children"]


def test_inventory_can_name_another_jupyter_image():
    inv = lab_inventory({"h1": "10.0.0.2"}, "r:1", "t", "/k", repository="labforge/jupyter-scipy:1")
    assert inv["all"]["children"]["jupyter_hosts"]["vars"]["jupyter_image"] == "r:1/labforge/jupyter-scipy:1"


def test_mirror_bytes_that_grow_with_the_fleet_are_not_once_per_lab():
    raw = {**RAW, "fleet": [dict(RAW["fleet"][0]), dict(RAW["fleet"][1], upstream_bytes=200_000_000)]}
    assert summarise(raw)["mirror"]["flat_in_hosts"] is False


def test_mirror_bytes_that_vary_by_a_cut_short_second_fetch_are_once_per_lab():
    # 1.03x and 1.12x the image, as one run measured: the mirror's spread, not a pull per host
    raw = {**RAW, "fleet": [dict(RAW["fleet"][0], upstream_bytes=103_000_000),
                            dict(RAW["fleet"][1], upstream_bytes=112_000_000)]}
    summary = summarise(raw)["mirror"]
    assert summary["flat_in_hosts"] is True
    assert summary["with_per_image_range"] == [1.03, 1.12]
    assert "1.03 to 1.12x the image for every fleet size" in markdown(raw, summarise(raw))


def test_markdown_says_how_many_runs_each_median_is_of():
    raw = {**RAW, "converge_vs_floor": {"labforge_s": 40.0, "floor_s": 32.0, "labforge_runs_s": [38.0, 40.0, 45.0],
                                        "floor_runs_s": [30.0, 32.0, 35.0]},
           "rerun": {"seconds": 8.5, "changed": 0, "runs_s": [8.0, 8.5, 9.0]}}
    text = markdown(raw, summarise(raw))
    assert "vs a plain script (median of 3) | 40 s vs 32 s = **1.25x** | <= 1.25x | not settled |" in text
    assert "| idempotent re-run, one host (median of 3) | 8.5 s, changed=0 | < 15 s, changed=0 | met |" in text


def test_phases_reads_the_steps_the_floor_script_prints():
    output = "phase install 10.52\nsome other line\nphase pull 12.00\nphase run_until_ready 3.1\n"
    assert phases(output) == {"install": 10.52, "pull": 12.0, "run_until_ready": 3.1}
    assert phases("no steps here\n") == {}


def test_median_phases_takes_each_step_over_the_runs():
    runs = [{"install": 10.0, "pull": 12.0}, {"install": 11.0, "pull": 20.0}, {"install": 12.0, "pull": 13.0}]
    assert median_phases(runs) == {"install": 11.0, "pull": 13.0}
    assert median_phases([]) == {}


def test_markdown_shows_the_floor_steps_when_measured():
    raw = {**RAW, "converge_vs_floor": {"labforge_s": 40.0, "floor_s": 32.0,
                                        "floor_phases_s": [{"install": 10.0, "run_until_ready": 3.0}]}}
    text = markdown(raw, summarise(raw))
    assert "| the plain script's steps (medians) | install 10.0 s, run until ready 3.0 s | | |" in text
    assert "steps" not in markdown(RAW, summarise(RAW))


def test_each_trial_is_also_compared_with_its_own_floor_run():
    raw = {**RAW, "converge_vs_floor": {"labforge_s": 40.0, "floor_s": 32.0, "labforge_runs_s": [44.0, 40.0, 36.0],
                                        "floor_runs_s": [40.0, 25.0, 30.0]}}
    s = summarise(raw)["converge_vs_floor"]
    assert s["paired_ratios"] == [1.1, 1.6, 1.2]
    assert s["paired_median"] == 1.2
    assert s["ratio"] == 1.25
    text = markdown(raw, summarise(raw))
    assert "| the same, trial by trial (labforge / script) | 1.10, 1.60, 1.20; median **1.20x**" in text
    assert "trial by trial" not in markdown(RAW, summarise(RAW))


def test_the_seconds_labforge_adds_are_the_median_of_each_trials_difference():
    raw = {"converge_vs_floor": {"labforge_s": 40.0, "floor_s": 32.0, "labforge_runs_s": [44.0, 40.0, 36.0],
                                 "floor_runs_s": [40.0, 25.0, 30.0]}}
    assert summarise(raw)["converge_vs_floor"]["added_s"] == 6.0  # differences 4, 15, 6
    assert "labforge adds 6.0 s (median) | | |" in markdown({**RAW, **raw}, summarise({**RAW, **raw}))


def test_the_scipy_sized_image_gets_its_own_rows_naming_the_image():
    scipy = {"image": {"reference": "labforge/jupyter-scipy:1", "compressed_bytes": 457_700_000},
             "labforge_s": 88.0, "floor_s": 80.0, "labforge_runs_s": [88.0, 85.0, 90.0, 84.0, 86.0],
             "floor_runs_s": [80.0, 78.0, 82.0, 79.0, 76.0]}
    raw = {**RAW, "converge_vs_floor_scipy": scipy}
    summary = summarise(raw)
    assert summary["converge_vs_floor_scipy"]["ratio"] == 1.1
    assert summary["converge_vs_floor_scipy"]["met"] is True
    assert summary["converge_vs_floor"]["met"] is False  # each image is judged on its own
    text = markdown(raw, summary)
    assert ("with `labforge/jupyter-scipy:1` (457.7 MB) (median of 5) | 88 s vs 80 s = **1.10x** | <= 1.25x | met |"
            in text)
    assert "converge_vs_floor_scipy" not in summarise(RAW)


def test_the_median_interval_is_the_sign_tests():
    assert median_interval([1.3, 1.0, 1.2, 1.1]) is None  # four values reach 87.5% at best
    assert median_interval([1.3, 1.0, 1.2, 1.1, 1.4]) == (1.0, 1.4, 0.938)  # 1 - 2/32
    assert median_interval([float(v) for v in range(9)]) == (1.0, 7.0, 0.961)  # 1 - 2 * 10/512
    assert median_interval([float(v) for v in range(9)], confidence=0.99) == (0.0, 8.0, 0.996)


def _trials(labforge: list[float], floor: list[float]) -> dict:
    return {"labforge_s": statistics.median(labforge), "floor_s": statistics.median(floor),
            "labforge_runs_s": labforge, "floor_runs_s": floor}


def test_the_target_is_decided_by_where_the_median_trial_can_be():
    under = summarise({"converge_vs_floor": _trials([110, 115, 120, 105, 112], [100] * 5)})["converge_vs_floor"]
    assert under["verdict"] == "met" and under["met"] is True
    assert under["paired_interval"] == {"low": 1.05, "high": 1.2, "confidence": 0.938}
    over = summarise({"converge_vs_floor": _trials([130, 140, 126, 150, 135], [100] * 5)})["converge_vs_floor"]
    assert over["verdict"] == "missed" and over["met"] is False
    # The medians alone say 1.12x, under the target, but one trial in five went over it.
    straddles = _trials([112, 130, 105, 110, 120], [100] * 5)
    s = summarise({"converge_vs_floor": straddles})["converge_vs_floor"]
    assert s["ratio"] == 1.12 and s["verdict"] == "not settled" and s["met"] is False
    raw = {**RAW, "converge_vs_floor": straddles}
    text = markdown(raw, summarise(raw))
    assert "= **1.12x** | <= 1.25x | not settled |" in text
    assert "median **1.12x** (94% interval 1.05 to 1.30)" in text


def test_too_few_trials_settle_nothing():
    s = summarise({"converge_vs_floor": _trials([110, 112], [100, 100])})["converge_vs_floor"]
    assert s["ratio"] == 1.11 and s["verdict"] == "not settled" and "paired_interval" not in s
    raw = {**RAW, "converge_vs_floor": _trials([110, 112], [100, 100])}
    assert "(too few trials to bound it)" in markdown(raw, summarise(raw))


def test_the_script_against_itself_shows_the_spread_of_the_same_work():
    noise = {"image": {"reference": "labforge/jupyter-scipy:1", "compressed_bytes": 457_700_000},
             "a_runs_s": [60.0, 50.0, 70.0, 55.0, 66.0], "b_runs_s": [50.0, 50.0, 56.0, 61.0, 60.0]}
    s = summarise({"script_vs_itself_scipy": noise})["script_vs_itself_scipy"]
    assert s["paired_ratios"] == [1.2, 1.0, 1.25, 0.9, 1.1]
    assert s["paired_median"] == 1.1
    assert s["paired_interval"] == {"low": 0.9, "high": 1.25, "confidence": 0.938}
    assert s["differences_s"] == [10.0, 0.0, 14.0, -6.0, 6.0]
    raw = {**RAW, "script_vs_itself_scipy": noise}
    text = markdown(raw, summarise(raw))
    assert ("| the plain script against itself on two fresh hosts with `labforge/jupyter-scipy:1`, trial by trial "
            "(host a / host b) | 1.20, 1.00, 1.25, 0.90, 1.10; median **1.10x** (94% interval 0.90 to 1.25); "
            "host a minus host b from -6.0 to +14.0 s | measured | |") in text
    assert "against itself" not in markdown(RAW, summarise(RAW))


def test_the_minimal_playbook_is_set_against_the_script_trial_by_trial():
    minimal = {"image": {"reference": "labforge/jupyter-test:2", "compressed_bytes": 122_300_000},
               "a_runs_s": [30.0, 33.0, 28.0, 36.0, 31.0], "b_runs_s": [25.0, 30.0, 28.0, 30.0, 25.0],
               "a_cpu": [{"busy_cpu_s": 36.0, "steal_share": 0.02}] * 5,
               "b_cpu": [{"busy_cpu_s": 30.0, "steal_share": 0.01}] * 5}
    raw = {**RAW, "minimal_playbook_vs_script": minimal}
    summary = summarise(raw)
    s = summary["minimal_playbook_vs_script"]
    assert s["paired_ratios"] == [1.2, 1.1, 1.0, 1.2, 1.24] and s["differences_s"] == [5.0, 3.0, 0.0, 6.0, 6.0]
    text = markdown(raw, summary)
    assert ("| the script's work as a six-task Ansible playbook (`bench/minimal.yml`) vs the plain script on two "
            "fresh hosts with `labforge/jupyter-test:2`, trial by trial (playbook / script) | 1.20, 1.10, 1.00, 1.20, "
            "1.24; median **1.20x** (94% interval 1.00 to 1.24); playbook minus script from +0.0 to +6.0 s | "
            "measured | |") in text
    assert "(medians, playbook vs script) | 36.0 s vs 30.0 s = 1.20x |" in text


def test_cpu_rows_show_each_run_stolen_share_and_the_cpu_seconds_each_side_used():
    cpu = {"labforge_cpu": [{"busy_cpu_s": 50.0, "steal_share": 0.12}, {"busy_cpu_s": 54.0, "steal_share": 0.03},
                            {"busy_cpu_s": 52.0, "steal_share": 0.05}],
           "floor_cpu": [{"busy_cpu_s": 40.0, "steal_share": 0.2}, {"busy_cpu_s": 39.0, "steal_share": 0.01},
                         {"busy_cpu_s": 41.0, "steal_share": 0.04}]}
    m = {"labforge_s": 60.0, "floor_s": 50.0, "labforge_runs_s": [60.0, 61.0, 59.0],
         "floor_runs_s": [50.0, 52.0, 48.0], **cpu}
    raw = {**RAW, "converge_vs_floor": m}
    summary = summarise(raw)
    assert summary["converge_vs_floor"]["cpu"] == {
        "steal_shares": [[0.12, 0.03, 0.05], [0.2, 0.01, 0.04]], "busy_cpu_s": [52.0, 40.0], "busy_ratio": 1.3}
    text = markdown(raw, summary)
    assert "(labforge; script) | 12%, 3%, 5%; 20%, 1%, 4% |" in text
    assert "(medians, labforge vs script) | 52.0 s vs 40.0 s = 1.30x |" in text


def test_runs_without_cpu_readings_get_no_cpu_rows():
    text = markdown(RAW, summarise(RAW))
    assert "stole" not in text and "CPU seconds" not in text


def test_the_noise_rows_carry_the_stolen_shares_of_both_hosts():
    noise = {"image": {"reference": "labforge/jupyter-scipy:1"}, "a_runs_s": [40.0] * 5, "b_runs_s": [50.0] * 5,
             "a_cpu": [{"busy_cpu_s": 30.0, "steal_share": 0.1}] * 5,
             "b_cpu": [{"busy_cpu_s": 30.0, "steal_share": 0.2}] * 5}
    raw = {**RAW, "script_vs_itself_scipy": noise}
    summary = summarise(raw)
    assert summary["script_vs_itself_scipy"]["cpu"]["busy_ratio"] == 1.0
    assert "(host a; host b) | 10%, 10%, 10%, 10%, 10%; 20%, 20%, 20%, 20%, 20% |" in markdown(raw, summary)


def test_the_header_says_when_the_engines_kept_their_images_in_memory():
    assert "in memory (tmpfs)" not in markdown(RAW, summarise(RAW))
    raw = {**RAW, "settings": {"docker_data": "memory"}}
    text = markdown(raw, summarise(raw))
    assert "The lab hosts' engines kept their images in memory (tmpfs), not on the disk." in text


def test_eight_trials_are_the_fewest_whose_interval_leaves_out_the_lowest_and_the_highest():
    # make bench's default number of trials rests on this.
    assert median_interval(list(range(7)))[:2] == (0, 6)
    low, high, coverage = median_interval(list(range(8)))
    assert (low, high) == (1, 6) and coverage == 0.93
