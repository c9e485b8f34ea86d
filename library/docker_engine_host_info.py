#!/usr/bin/python
"""Read, in one round trip, everything the docker_engine role checks on a host before it changes it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_engine_host_info
short_description: What the docker_engine role needs to know about a host, read in one round trip
description:
  - Reads the dpkg state of the named packages, the passwd entries of the named users, the PCI
    devices' vendor and class, the command line that docker.service gives dockerd and whether
    the unit is active and enabled, whether a running engine is a Docker Swarm node, whether
    the installed dockerd can validate a configuration
    file, which of the named paths exist, dockerd's daemon.json and the role's record of what it
    wrote there.
  - Only reads; it never changes the host, so it runs the same in check mode.
  - Replaces M(ansible.builtin.package_facts), M(ansible.builtin.getent), a shell glob,
    M(ansible.builtin.systemd_service) and a M(ansible.builtin.command): one round trip instead of
    five on every run of the role, including re-runs that change nothing (a round trip took about
    0.35 s over SSH in C(make bench)'s profile, and this read 0.6 to 0.9 s; bench/README.md).
options:
  packages:
    description: Debian package names to report.
    type: list
    elements: str
    default: []
  users:
    description: User names to look up in the passwd database.
    type: list
    elements: str
    default: []
  unit:
    description: The systemd unit whose ExecStart and state to read.
    type: str
    default: docker.service
  paths:
    description: Paths to report as existing or not.
    type: list
    elements: path
    default: []
  daemon_json:
    description:
      - dockerd's configuration file, read and parsed so that the role merges its settings into
        it. Not read when empty.
      - A file that is not one JSON object is reported in I(daemon_json.error), never changed.
    type: path
    default: ""
  daemon_json_state:
    description:
      - The role's record of what it wrote to I(daemon_json) last, read and parsed. Not read when empty.
    type: path
    default: ""
"""

RETURN = r"""
packages:
  description: For each named package that dpkg knows, its version, whether it is installed,
    and its selection (install, hold, deinstall or purge).
  type: dict
  returned: always
  sample: {"docker.io": {"version": "20.10.24+dfsg1-1+b3", "installed": true, "selection": "install"}}
passwd:
  description: >-
    The passwd entries of the named users that exist, in the shape of M(ansible.builtin.getent)'s
    C(getent_passwd) (name to password field, uid, gid, gecos, home, shell), for the filter
    labforge_users_exist.
  type: dict
  returned: always
  sample: {"labadmin": ["x", "1000", "1000", "", "/home/labadmin", "/bin/bash"]}
pci:
  description: One "path:value" line per vendor and class file under /sys/bus/pci/devices.
  type: list
  returned: always
unit_exec_start:
  description: systemd's ExecStart property of the unit, empty when there is no such unit.
  type: str
  returned: always
unit_state:
  description: The unit's ActiveState (active, inactive, failed...) and UnitFileState (enabled, disabled...),
    empty strings without systemd.
  type: dict
  returned: always
  sample: {"active": "active", "enabled": "enabled"}
swarm_state:
  description: >-
    The running engine's swarm state (C(inactive), C(pending), C(active), C(error), C(locked)), empty when
    the unit is not active or the engine does not answer within 10 s.
  type: str
  returned: always
  sample: active
dockerd_validates:
  description: Whether the installed dockerd has --validate (Docker 23 and newer).
  type: bool
  returned: always
paths:
  description: Each named path and whether it exists.
  type: dict
  returned: always
daemon_json:
  description:
    - The I(daemon_json) file as found. I(settings) is its JSON object ({} for a missing or
      blank file); I(content) its text; I(error) says what is wrong with it, empty when nothing is.
    - I(backup_path) is a name beside it, with the host's UTC time, that no file has yet.
  type: dict
  returned: always
  sample: {"path": "/etc/docker/daemon.json", "exists": true, "content": "{}\n", "sha256": "...",
           "settings": {}, "error": "", "backup_path": "/etc/docker/daemon.json.20261203T101500Z.labforge-backup"}
daemon_json_state:
  description:
    - The I(daemon_json_state) file as found, I(settings) the daemon.json settings the role wrote
      last and I(sha256) the checksum of the daemon.json it wrote ({} and empty when missing);
      I(mode) its octal mode; I(error) what is wrong with it.
  type: dict
  returned: always
"""

import glob  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import stat  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

DPKG_FORMAT = "${Package}\t${Version}\t${db:Status-Abbrev}\t${db:Status-Want}\n"


def parse_dpkg_query(text: str) -> dict[str, dict[str, object]]:
    """Packages from dpkg-query output in DPKG_FORMAT; a package dpkg has forgotten
    (status "un") is left out."""
    packages: dict[str, dict[str, object]] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) != 4 or not fields[0]:
            continue
        name, version, abbrev, want = fields
        if abbrev.startswith("un"):
            continue
        packages[name.split(":")[0]] = {
            "version": version,
            "installed": abbrev[1:2] == "i",
            "selection": want or "unknown",
        }
    return packages


def passwd_entries(names: list[str]) -> dict[str, list[str]]:
    """The passwd entries of the named users that exist, as ansible.builtin.getent gives them."""
    entries = {}
    for name in names:
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        entries[name] = [user.pw_passwd, str(user.pw_uid), str(user.pw_gid), user.pw_gecos, user.pw_dir, user.pw_shell]
    return entries


def pci_lines(root: str = "/sys/bus/pci/devices") -> list[str]:
    """The same "path:value" lines as `grep -H . */vendor */class`."""
    lines = []
    for path in sorted(glob.glob(os.path.join(root, "*", "vendor")) + glob.glob(os.path.join(root, "*", "class"))):
        try:
            with open(path, encoding="ascii", errors="replace") as handle:
                lines.append(f"{path}:{handle.read().strip()}")
        except OSError:
            continue
    return lines


def parse_show(text: str) -> dict[str, str]:
    """`systemctl show --property ...` output as a mapping; values may contain '='."""
    properties = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            properties[key] = value
    return properties


BACKUP_SUFFIX = ".labforge-backup"


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON value")


def read_json_object(path: str) -> dict[str, object]:
    """The file at ``path`` as text and as the JSON object it must hold; ``error`` says why
    it does not (a missing or blank file holds ``{}``)."""
    found: dict[str, object] = {"path": path, "exists": False, "content": "", "sha256": "", "settings": {},
                                "error": "", "mode": ""}
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return found
    except OSError as error:
        return {**found, "exists": True, "error": f"cannot be read: {error.strerror}"}
    found.update(exists=True, mode=f"{stat.S_IMODE(info.st_mode):04o}")
    if not stat.S_ISREG(info.st_mode):
        return {**found, "error": "is not a regular file"}
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return {**found, "error": f"cannot be read: {error.strerror}"}
    found["sha256"] = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return {**found, "error": f"is not UTF-8 text (at byte offset {error.start})"}
    found["content"] = text
    if not text.strip():
        return found
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return {**found, "error": f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"}
    except ValueError as error:
        return {**found, "error": f"is not valid JSON: {error}"}
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
        return {**found, "error": f"holds {kind}, not a JSON object"}
    return {**found, "settings": value}


def backup_path(path: str, now: float | None = None) -> str:
    """A backup name beside ``path`` with the UTC time, one that no file has yet."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    candidate, number = f"{path}.{stamp}{BACKUP_SUFFIX}", 1
    while os.path.lexists(candidate):
        number += 1
        candidate = f"{path}.{stamp}-{number}{BACKUP_SUFFIX}"
    return candidate


def read_daemon_json(path: str) -> dict[str, object]:
    if not path:
        return {}
    found = read_json_object(path)
    del found["mode"]
    return {**found, "backup_path": backup_path(path)}


def read_state(path: str) -> dict[str, object]:
    """The role's record of what it wrote: {"daemon_json_sha256": str, "settings": {...}}."""
    if not path:
        return {}
    found = read_json_object(path)
    record = found.pop("settings")
    found.update(settings={}, sha256="")
    if found["error"] or not record:
        return found
    if not (isinstance(record.get("settings"), dict) and isinstance(record.get("daemon_json_sha256"), str)):
        return {**found, "error": "is not a record of the docker_engine role (an object with 'settings' "
                                  "and 'daemon_json_sha256')"}
    return {**found, "settings": record["settings"], "sha256": record["daemon_json_sha256"]}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "users": {"type": "list", "elements": "str", "default": []},
            "unit": {"type": "str", "default": "docker.service"},
            "paths": {"type": "list", "elements": "path", "default": []},
            "daemon_json": {"type": "path", "default": ""},
            "daemon_json_state": {"type": "path", "default": ""},
        },
        supports_check_mode=True,
    )
    params = module.params

    packages: dict[str, dict[str, object]] = {}
    if params["packages"]:
        # rc 1 only says that some of the packages are unknown to dpkg; the known ones are printed.
        rc, out, err = module.run_command(["dpkg-query", "-W", "-f", DPKG_FORMAT, *params["packages"]])
        if rc not in (0, 1):
            module.fail_json(msg=f"dpkg-query failed: {err.strip()}")
        packages = parse_dpkg_query(out)

    unit: dict[str, str] = {}
    systemctl = module.get_bin_path("systemctl")
    if systemctl:
        rc, out, _ = module.run_command([systemctl, "show", "--property", "ExecStart,ActiveState,UnitFileState",
                                         params["unit"]])
        unit = parse_show(out) if rc == 0 else {}

    # A swarm node must keep live-restore off, or dockerd refuses to start (docker_engine's
    # docker_engine_live_restore: auto). Asked only of a running engine, bounded.
    swarm_state = ""
    docker, timeout = module.get_bin_path("docker"), module.get_bin_path("timeout")
    if docker and timeout and unit.get("ActiveState") == "active":
        rc, out, _ = module.run_command([timeout, "10", docker, "info", "--format", "{{.Swarm.LocalNodeState}}"])
        swarm_state = out.strip() if rc == 0 else ""

    dockerd_validates = False
    dockerd = module.get_bin_path("dockerd")
    if dockerd:
        _, out, err = module.run_command([dockerd, "--help"])
        dockerd_validates = "--validate" in out + err

    module.exit_json(
        changed=False,
        packages=packages,
        passwd=passwd_entries(params["users"]),
        pci=pci_lines(),
        unit_exec_start=unit.get("ExecStart", ""),
        unit_state={"active": unit.get("ActiveState", ""), "enabled": unit.get("UnitFileState", "")},
        swarm_state=swarm_state,
        dockerd_validates=dockerd_validates,
        paths={path: os.path.lexists(path) for path in params["paths"]},
        daemon_json=read_daemon_json(params["daemon_json"]),
        daemon_json_state=read_state(params["daemon_json_state"]),
    )


if __name__ == "__main__":
    main()
