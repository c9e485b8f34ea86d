"""nvidia_gpus: NVIDIA display controllers from a PCI sysfs listing."""

import pytest

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.gpu import nvidia_gpus

LISTING = """\
/sys/bus/pci/devices/0000:00:02.0/vendor:0x8086
/sys/bus/pci/devices/0000:00:02.0/class:0x030000
/sys/bus/pci/devices/0000:65:00.0/vendor:0x10de
/sys/bus/pci/devices/0000:65:00.0/class:0x030200
/sys/bus/pci/devices/0000:65:00.1/vendor:0x10de
/sys/bus/pci/devices/0000:65:00.1/class:0x040300
/sys/bus/pci/devices/0000:17:00.0/vendor:0x10DE
/sys/bus/pci/devices/0000:17:00.0/class:0x030000
"""


def test_finds_nvidia_display_controllers_only():
    assert nvidia_gpus(LISTING) == ["0000:17:00.0", "0000:65:00.0"]


def test_accepts_stdout_lines():
    assert nvidia_gpus(LISTING.splitlines()) == ["0000:17:00.0", "0000:65:00.0"]


@pytest.mark.parametrize("listing", ["", [], ["garbage"], ["/sys/bus/pci/devices/0000:00:02.0/vendor:0x8086"]])
def test_no_gpu(listing):
    assert nvidia_gpus(listing) == []


def test_rejects_non_listing():
    with pytest.raises(LabforgeFilterError, match="expected the lines of the PCI sysfs listing"):
        nvidia_gpus(42)
