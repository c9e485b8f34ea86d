#!/usr/bin/python
"""Start, stop, restart, enable and disable systemd units, many in one round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
module: labforge_units
short_description: Bring systemd units to their wanted state, many in one round trip
description:
  - Reads every unit with one C(systemctl show), then enables or disables, and starts, stops
    or restarts, only the units that are not as wanted, in the order given.
  - Replaces M(ansible.builtin.systemd_service), one task per unit. Measured on one host (three
    pairs of runs, bench/README.md): systemd_service took 1.16 s on first use and 0.6 s after it,
    this module 0.5 to 0.65 s and 0.35 to 0.43 s; a host with ten instances makes one call
    instead of ten.
  - Supports check mode.
options:
  units:
    description: The units, each a mapping of C(name) and, optionally, C(state) and C(enabled).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The unit's full name, such as C(docker.service).
        type: str
        required: true
      state:
        description: C(started) and C(stopped) act only when needed; C(restarted) always acts.
        type: str
        choices: [started, stopped, restarted]
      enabled:
        description: Whether the unit starts at boot.
        type: bool
  daemon_reload:
    description: Run C(systemctl daemon-reload) before reading the units (not in check mode).
    type: bool
    default: false
notes:
  - A unit that systemd cannot find fails the task, except one that only has to be stopped or disabled.
"""

RETURN = r"""
changed_units:
  description: The names of the units acted on (or, in check mode, that would be), in order.
  type: list
  returned: always
actions:
  description: Each C(systemctl) action taken (or, in check mode, that would be), as C(verb unit).
  type: list
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState")
# `systemctl is-enabled` answers 0 for these: the unit starts at boot, or has no [Install] to enable.
ENABLED_STATES = {"enabled", "enabled-runtime", "static", "alias", "indirect", "generated", "transient"}
RUNNING_STATES = {"active", "activating", "reloading"}


class UnitError(Exception):
    pass


def parse_show(text: str, count: int) -> list[dict[str, str]]:
    """The properties of each unit from `systemctl show -p ... UNIT...`: one block per unit, in the
    order asked, blocks separated by an empty line."""
    blocks = [dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
              for block in text.strip().split("\n\n")]
    blocks = [block for block in blocks if block]
    if len(blocks) != count:
        raise UnitError(f"systemctl show gave {len(blocks)} units for {count} asked")
    return blocks


def plan(unit: dict, found: dict[str, str]) -> list[str]:
    """The systemctl verbs that bring one unit from ``found`` to what ``unit`` asks, in order."""
    state, enabled, name = unit.get("state"), unit.get("enabled"), unit["name"]
    if found.get("LoadState") == "not-found":
        if state in ("started", "restarted") or enabled:
            raise UnitError(f"systemd has no unit {name}")
        return []
    verbs = []
    is_enabled = found.get("UnitFileState", "") in ENABLED_STATES
    if enabled is True and not is_enabled:
        verbs.append("enable")
    elif enabled is False and is_enabled and found.get("UnitFileState") != "static":
        verbs.append("disable")
    running = found.get("ActiveState", "") in RUNNING_STATES
    if state == "restarted" or (state == "started" and not running):
        verbs.append("restart" if state == "restarted" else "start")
    elif state == "stopped" and running:
        verbs.append("stop")
    return verbs


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "units": {"type": "list", "elements": "dict", "default": [],
                      "options": {"name": {"type": "str", "required": True},
                                  "state": {"type": "str", "choices": ["started", "stopped", "restarted"]},
                                  "enabled": {"type": "bool"}}},
            "daemon_reload": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    systemctl = module.get_bin_path("systemctl", required=True)
    units = module.params["units"]

    def run(*args: str) -> str:
        rc, out, err = module.run_command([systemctl, *args])
        if rc != 0:
            detail = (err or out).strip()
            if args[0] in ("start", "restart"):
                _, journal, _ = module.run_command(["journalctl", "--no-pager", "-n", "15", "-o", "cat", "-u",
                                                    args[-1]])
                detail += "\nLast journal lines:\n" + journal.strip()
            module.fail_json(msg=f"systemctl {' '.join(args)} failed (rc {rc}): {detail}",
                             changed_units=changed_units, actions=actions)
        return out

    changed_units: list[str] = []
    actions: list[str] = []
    if module.params["daemon_reload"] and not module.check_mode:
        run("daemon-reload")
    if units:
        names = [unit["name"] for unit in units]
        try:
            found = parse_show(run("show", "--property=" + ",".join(PROPERTIES), "--", *names), len(names))
            plans = [plan(unit, state) for unit, state in zip(units, found)]
        except UnitError as error:
            module.fail_json(msg=str(error))
        for name, verbs in zip(names, plans):
            if verbs:
                changed_units.append(name)
            for verb in verbs:
                actions.append(f"{verb} {name}")
                if not module.check_mode:
                    run(verb, name)
    module.exit_json(changed=bool(actions), changed_units=changed_units, actions=actions)


if __name__ == "__main__":
    main()
