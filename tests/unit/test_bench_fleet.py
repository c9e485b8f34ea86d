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
