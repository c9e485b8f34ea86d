"""The bench's lab hosts: the Molecule platform's run options, with the engine's data on disk or in memory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench import fleet  # noqa: E402


def test_on_disk_the_hosts_run_with_the_molecule_platform_options():
    flags = fleet.platform_flags()
    assert "--volume=/var/lib/docker" in flags
    assert "--cap-add=SYS_ADMIN" in flags and "--tmpfs=/run" in flags
    assert not any(flag.startswith("--tmpfs=/var/lib/docker") for flag in flags)


def test_in_memory_the_engine_data_volume_becomes_an_executable_tmpfs_and_nothing_else_changes():
    on_disk, in_memory = fleet.platform_flags("disk"), fleet.platform_flags("memory")
    assert "--volume=/var/lib/docker" not in in_memory
    assert "--tmpfs=/var/lib/docker:rw,exec,dev,suid" in in_memory
    assert set(on_disk) - set(in_memory) == {"--volume=/var/lib/docker"}
    assert set(in_memory) - set(on_disk) == {"--tmpfs=/var/lib/docker:rw,exec,dev,suid"}


def test_an_unknown_place_for_the_engine_data_is_refused_by_name():
    with pytest.raises(ValueError, match="disk, memory"):
        fleet.platform_flags("ssd")


def test_a_removal_is_waited_out_for_the_rest_of_its_shadow_and_not_at_all_after_it():
    assert fleet.removal_wait_s(removed_at=1000.0, now=1100.0, shadow_s=360) == 260.0
    assert fleet.removal_wait_s(removed_at=1000.0, now=1360.0, shadow_s=360) == 0.0
    assert fleet.removal_wait_s(removed_at=1000.0, now=5000.0, shadow_s=360) == 0.0


def test_only_retired_hosts_carry_the_retired_prefix_and_it_is_still_a_bench_name():
    assert fleet.RETIRED_PREFIX.startswith(fleet.PREFIX)
    assert not f"{fleet.PREFIX}single".startswith(fleet.RETIRED_PREFIX)
