#!/usr/bin/python
"""Create directories and write whole files with their owner and mode, many in one round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
module: labforge_files
short_description: Directories and whole files with owner, group and mode, many in one round trip
description:
  - Creates each directory (and missing parents, root-owned 0755) and writes each file whole,
    atomically (a temporary file in the same directory, then a rename), only when its content,
    owner, group or mode differ. Directories come first, then files, in the order given.
  - Replaces one M(ansible.builtin.copy), M(ansible.builtin.template) or M(ansible.builtin.file)
    task per file, each of which costs two module round trips even when nothing changes (a round
    trip took about 0.35 s over SSH in C(make bench)'s profile, bench/README.md). The jupyter role
    writes every file of every instance and its record in one call, and docker_engine
    C(/etc/docker) with daemon.json in another, whatever the number of students.
  - Supports check mode and diff mode. The content of I(secret_files) is never shown, not even
    in a diff.
options:
  directories:
    description: Directories, each a mapping of path, owner, group, mode and an optional key.
    type: list
    elements: dict
    default: []
  files:
    description: Files, each a mapping of path, content, owner, group, mode and an optional key.
    type: list
    elements: dict
    default: []
  secret_files:
    description: Files like I(files) whose content is a secret.
    type: list
    elements: dict
    default: []
notes:
  - I(owner) and I(group) are names or numeric IDs; I(mode) is an octal string such as C("0644").
  - A file entry may have I(validate), a command with C(%s) that must accept the new file (written
    to a temporary path beside the destination) before it replaces the old one, as in M(ansible.builtin.copy).
  - A file entry with I(keep_previous) true keeps the version that a new content replaces as
    C(PATH.labforge-previous), with its owner and mode (a second link to it, made before the
    rename), so that a role can roll back a change that fails after it was applied. Each change
    replaces the kept version.
"""

RETURN = r"""
changed_paths:
  description: The directories and files created or changed, in order.
  type: list
  returned: always
changed_keys:
  description: The keys of the entries that changed, each once, in order.
  type: list
  returned: always
previous_paths:
  description: The replaced versions kept (entries with I(keep_previous)), each C(PATH.labforge-previous).
  type: list
  returned: always
"""

import grp  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import stat  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

PREVIOUS = ".labforge-previous"

ENTRY = {
    "path": {"type": "path", "required": True},
    "owner": {"type": "str", "default": "root"},
    "group": {"type": "str", "default": "root"},
    "mode": {"type": "str", "required": True},
    "key": {"type": "str"},
}
SECRET_NOT_SHOWN = "(not shown: the file holds a secret)\n"


class EntryError(Exception):
    pass


def resolve_id(value: str, database: str) -> int:
    """A user or group name, or a numeric ID, as its numeric ID."""
    if value.isdigit():
        return int(value)
    try:
        return pwd.getpwnam(value).pw_uid if database == "user" else grp.getgrnam(value).gr_gid
    except KeyError:
        raise EntryError(f"no {database} named {value!r} on this host") from None


def parse_mode(value: str) -> int:
    try:
        mode = int(value, 8)
    except ValueError:
        raise EntryError(f"mode must be an octal string such as '0644', got {value!r}") from None
    if not 0 <= mode <= 0o7777:
        raise EntryError(f"mode must be between 0000 and 7777, got {value!r}")
    return mode


def attributes(entry: dict) -> tuple[int, int, int]:
    return resolve_id(entry["owner"], "user"), resolve_id(entry["group"], "group"), parse_mode(entry["mode"])


def describe(uid: int, gid: int, mode: int) -> str:
    return f"owner {uid}, group {gid}, mode {mode:04o}\n"


def plan_directory(entry: dict) -> tuple[bool, dict | None]:
    """Whether the directory needs a change, and its diff."""
    uid, gid, mode = attributes(entry)
    path = entry["path"]
    try:
        current = os.lstat(path)
    except FileNotFoundError:
        return True, {"before": "(absent)\n", "after": "directory, " + describe(uid, gid, mode)}
    if not stat.S_ISDIR(current.st_mode):
        raise EntryError(f"{path} exists and is not a directory")
    before = describe(current.st_uid, current.st_gid, stat.S_IMODE(current.st_mode))
    after = describe(uid, gid, mode)
    return before != after, {"before": before, "after": after}


def apply_directory(entry: dict) -> None:
    uid, gid, mode = attributes(entry)
    path = entry["path"]
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        os.makedirs(parent, mode=0o755)
    if not os.path.isdir(path):
        os.mkdir(path, 0o700)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def plan_file(entry: dict, secret: bool) -> tuple[bool, dict | None]:
    """Whether the file needs a change, and its diff (content hidden for a secret)."""
    uid, gid, mode = attributes(entry)
    path, content = entry["path"], entry["content"].encode("utf-8")
    try:
        current = os.lstat(path)
    except FileNotFoundError:
        after = SECRET_NOT_SHOWN if secret else entry["content"]
        return True, {"before": "", "after": after}
    if not stat.S_ISREG(current.st_mode):
        raise EntryError(f"{path} exists and is not a regular file")
    with open(path, "rb") as handle:
        old = handle.read()
    attrs_before = describe(current.st_uid, current.st_gid, stat.S_IMODE(current.st_mode))
    attrs_after = describe(uid, gid, mode)
    if old == content:
        return attrs_before != attrs_after, {"before": attrs_before, "after": attrs_after}
    if secret:
        return True, {"before": attrs_before + SECRET_NOT_SHOWN, "after": attrs_after + "(new content)\n"}
    return True, {"before": old.decode("utf-8", errors="replace"), "after": entry["content"]}


def apply_file(entry: dict, validate=None, keep_previous: bool = False) -> bool:
    """Write the file; True when a replaced version was kept beside it."""
    uid, gid, mode = attributes(entry)
    path, content = entry["path"], entry["content"].encode("utf-8")
    try:
        with open(path, "rb") as handle:
            same = handle.read() == content
    except FileNotFoundError:
        same = False
    if same:
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return False
    directory = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".labforge_files.")
    try:
        # Owner and mode are set before the content lands, so a secret is never world-readable.
        os.fchown(handle, uid, gid)
        os.fchmod(handle, mode)
        os.write(handle, content)
        os.fsync(handle)
        os.close(handle)
        handle = -1
        if validate is not None:
            validate(temporary)
        kept = keep_previous and os.path.isfile(path)
        if kept:
            if os.path.lexists(path + PREVIOUS):
                os.unlink(path + PREVIOUS)
            os.link(path, path + PREVIOUS)
        os.replace(temporary, path)
        return kept
    except BaseException:
        if handle >= 0:
            os.close(handle)
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def validator(module: AnsibleModule, command: str | None):
    """A check that the program accepts the new file, from a command with %s (None: no check)."""
    if not command:
        return None
    if "%s" not in command:
        raise EntryError(f"validate must contain %s for the file to check, got {command!r}")

    def check(temporary: str) -> None:
        rc, out, err = module.run_command(command % temporary)
        if rc != 0:
            raise EntryError(f"failed validation ({command % temporary}, rc {rc}): {(err or out).strip()}")

    return check


def main() -> None:
    keep = {"keep_previous": {"type": "bool", "default": False}}
    file_entry = {**ENTRY, **keep, "content": {"type": "str", "required": True}, "validate": {"type": "str"}}
    secret_entry = {**ENTRY, **keep, "content": {"type": "str", "required": True, "no_log": True}}
    module = AnsibleModule(
        argument_spec={
            "directories": {"type": "list", "elements": "dict", "default": [], "options": ENTRY},
            "files": {"type": "list", "elements": "dict", "default": [], "options": file_entry},
            "secret_files": {"type": "list", "elements": "dict", "default": [], "options": secret_entry},
        },
        supports_check_mode=True,
    )
    entries = (
        [("directory", entry, False) for entry in module.params["directories"]]
        + [("file", entry, False) for entry in module.params["files"]]
        + [("file", entry, True) for entry in module.params["secret_files"]]
    )
    changed_paths: list[str] = []
    changed_keys: list[str] = []
    previous_paths: list[str] = []
    diffs: list[dict] = []
    for kind, entry, secret in entries:
        try:
            if kind == "directory":
                changed, diff = plan_directory(entry)
                if changed and not module.check_mode:
                    apply_directory(entry)
            else:
                # In check mode a file in a directory that does not exist yet is simply new.
                changed, diff = plan_file(entry, secret)
                if changed and not module.check_mode and apply_file(
                        entry, validator(module, entry.get("validate")), entry.get("keep_previous", False)):
                    previous_paths.append(entry["path"] + PREVIOUS)
        except (EntryError, OSError) as error:
            module.fail_json(msg=f"{entry['path']}: {error}", changed_paths=changed_paths)
        if changed:
            changed_paths.append(entry["path"])
            if entry.get("key") is not None and entry["key"] not in changed_keys:
                changed_keys.append(entry["key"])
            if diff is not None:
                diffs.append({"before_header": entry["path"], "after_header": entry["path"], **diff})
    result = {"changed": bool(changed_paths), "changed_paths": changed_paths, "changed_keys": changed_keys,
              "previous_paths": previous_paths}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
