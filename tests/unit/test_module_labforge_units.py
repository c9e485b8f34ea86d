"""The labforge_units module's reading of `systemctl show` and its plan per unit. The module
acting on real units is tested by the Molecule scenarios, whose hosts run systemd."""

import pytest

from modules import load

units = load("labforge_units")

# What systemd 252 prints for `systemctl show --property=Id,LoadState,ActiveState,UnitFileState`
# with three units: a running enabled service, an instance of a template never started, and a
# name it does not know.
SHOW = """Id=docker.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=labforge-jupyter@lab.service
LoadState=loaded
ActiveState=inactive
UnitFileState=disabled

Id=nope.service
LoadState=not-found
ActiveState=inactive
UnitFileState=
"""


def test_show_gives_one_block_per_unit_in_the_order_asked():
    docker, lab, nope = units.parse_show(SHOW, 3)
    assert docker == {"Id": "docker.service", "LoadState": "loaded", "ActiveState": "active",
                      "UnitFileState": "enabled"}
    assert lab["ActiveState"] == "inactive" and lab["UnitFileState"] == "disabled"
    assert nope["LoadState"] == "not-found" and nope["UnitFileState"] == ""


def test_a_block_count_that_does_not_match_the_units_asked_is_an_error():
    with pytest.raises(units.UnitError, match="gave 3 units for 2 asked"):
        units.parse_show(SHOW, 2)


RUNNING = {"LoadState": "loaded", "ActiveState": "active", "UnitFileState": "enabled"}
STOPPED = {"LoadState": "loaded", "ActiveState": "inactive", "UnitFileState": "disabled"}
MISSING = {"LoadState": "not-found", "ActiveState": "inactive", "UnitFileState": ""}


@pytest.mark.parametrize(("wanted", "found", "verbs"), [
    ({"state": "started", "enabled": True}, RUNNING, []),
    ({"state": "started", "enabled": True}, STOPPED, ["enable", "start"]),
    ({"state": "started"}, STOPPED, ["start"]),
    ({"enabled": True}, STOPPED, ["enable"]),
    ({"state": "started", "enabled": True}, {**RUNNING, "ActiveState": "activating"}, []),
    ({"state": "restarted", "enabled": True}, RUNNING, ["restart"]),
    ({"state": "restarted", "enabled": True}, STOPPED, ["enable", "restart"]),
    ({"state": "stopped", "enabled": False}, RUNNING, ["disable", "stop"]),
    ({"state": "stopped", "enabled": False}, STOPPED, []),
    ({"state": "stopped", "enabled": False}, MISSING, []),
    # A unit without an [Install] section is "static": there is nothing to enable or disable.
    ({"state": "started", "enabled": True}, {**STOPPED, "UnitFileState": "static"}, ["start"]),
    ({"state": "stopped", "enabled": False}, {**RUNNING, "UnitFileState": "static"}, ["stop"]),
    ({"state": "started", "enabled": True}, {**RUNNING, "UnitFileState": "enabled-runtime"}, []),
])
def test_the_plan_acts_only_where_the_unit_is_not_as_wanted(wanted, found, verbs):
    assert units.plan({"name": "x.service", **wanted}, found) == verbs


@pytest.mark.parametrize("wanted", [{"state": "started"}, {"state": "restarted"}, {"enabled": True}])
def test_a_unit_systemd_does_not_know_cannot_be_started_or_enabled(wanted):
    with pytest.raises(units.UnitError, match="systemd has no unit x.service"):
        units.plan({"name": "x.service", **wanted}, MISSING)
