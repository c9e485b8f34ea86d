"""The docker_engine role's docker_engine_host_info module: what the role reads from a host, in one round trip."""

import getpass
import hashlib
import re

import pytest
from modules import load, run


def test_reads_packages_users_and_paths_of_this_machine(tmp_path):
    (tmp_path / "there").write_text("")
    me = getpass.getuser()
    result = run("docker_engine_host_info", tmp_path, packages=["dpkg", "no-such-package-here"],
                 users=[me, "no-such-user-here"], paths=[str(tmp_path / "there"), str(tmp_path / "not-there")])
    assert not result["changed"]
    assert result["packages"]["dpkg"]["installed"] is True and result["packages"]["dpkg"]["version"]
    assert "no-such-package-here" not in result["packages"]
    assert list(result["passwd"]) == [me] and result["passwd"][me][5]  # its shell, as getent gives it
    assert result["paths"] == {str(tmp_path / "there"): True, str(tmp_path / "not-there"): False}
    assert isinstance(result["pci"], list) and isinstance(result["dockerd_validates"], bool)
    assert set(result["unit_state"]) == {"active", "enabled"}
    if result["unit_state"]["active"] != "active":  # no engine asked: the swarm state stays unknown
        assert result["swarm_state"] == ""


def test_check_mode_reads_the_same(tmp_path):
    result = run("docker_engine_host_info", tmp_path, check=True, packages=["dpkg"])
    assert result["packages"]["dpkg"]["installed"] is True


def test_dpkg_states_installed_held_and_removed():
    module = load("docker_engine_host_info")
    text = ("docker.io\t20.10.24\tii \thold\n"
            "containerd:amd64\t1.6\tii \tinstall\n"
            "docker-compose\t1.29\trc \tdeinstall\n"
            "forgotten\t\tun \tunknown\n"
            "garbage line\n")
    assert module.parse_dpkg_query(text) == {
        "docker.io": {"version": "20.10.24", "installed": True, "selection": "hold"},
        "containerd": {"version": "1.6", "installed": True, "selection": "install"},
        "docker-compose": {"version": "1.29", "installed": False, "selection": "deinstall"},
    }


def test_pci_lines_read_like_grep(tmp_path):
    module = load("docker_engine_host_info")
    device = tmp_path / "0000:01:00.0"
    device.mkdir()
    (device / "vendor").write_text("0x10de\n")
    (device / "class").write_text("0x030000\n")
    assert module.pci_lines(str(tmp_path)) == [f"{device}/class:0x030000", f"{device}/vendor:0x10de"]


def test_systemctl_show_output_keeps_values_with_equals_signs():
    module = load("docker_engine_host_info")
    text = ("ExecStart={ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// ; ignore_errors=no }\n"
            "ActiveState=active\nUnitFileState=enabled\n")
    assert module.parse_show(text) == {
        "ExecStart": "{ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// ; ignore_errors=no }",
        "ActiveState": "active", "UnitFileState": "enabled"}


def test_reads_daemon_json_and_the_record_as_found(tmp_path):
    daemon_json = tmp_path / "daemon.json"
    text = '{"debug": true,\n  "labels": ["owner=ops"]}\n'
    daemon_json.write_text(text)
    state = tmp_path / "state"
    state.write_text('{"about": "x", "daemon_json_sha256": "abc", "settings": {"icc": false}}\n')
    state.chmod(0o600)
    result = run("docker_engine_host_info", tmp_path, check=True,
                 daemon_json=str(daemon_json), daemon_json_state=str(state))
    found = result["daemon_json"]
    assert found["exists"] and found["error"] == ""
    assert found["content"] == text
    assert found["settings"] == {"debug": True, "labels": ["owner=ops"]}
    assert found["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert re.fullmatch(re.escape(str(daemon_json)) + r"\.\d{8}T\d{6}Z\.labforge-backup", found["backup_path"])
    record = result["daemon_json_state"]
    assert (record["settings"], record["sha256"], record["mode"], record["error"]) == ({"icc": False}, "abc", "0600", "")


def test_missing_or_blank_daemon_json_holds_no_settings(tmp_path):
    module = load("docker_engine_host_info")
    missing = module.read_daemon_json(str(tmp_path / "none.json"))
    assert (missing["exists"], missing["settings"], missing["content"], missing["error"]) == (False, {}, "", "")
    (tmp_path / "blank.json").write_text(" \n")
    blank = module.read_daemon_json(str(tmp_path / "blank.json"))
    assert (blank["exists"], blank["settings"], blank["error"]) == (True, {}, "")
    assert module.read_daemon_json("") == {}
    assert module.read_state(str(tmp_path / "none")) == {
        "path": str(tmp_path / "none"), "exists": False, "content": "", "sha256": "", "settings": {}, "error": "",
        "mode": ""}


@pytest.mark.parametrize(("raw", "error"), [
    (b'{"debug": true,,}', "is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 16"),
    (b'{"debug": true}\n{"icc": false}', "is not valid JSON: Extra data at line 2 column 1"),
    (b'["debug"]', "holds an array, not a JSON object"),
    (b'"debug"', "holds a string, not a JSON object"),
    (b"null", "holds null, not a JSON object"),
    (b"42", "holds a number, not a JSON object"),
    (b'{"mtu": NaN}', "is not valid JSON: NaN is not a JSON value"),
    (b'{"labels": ["\xff"]}', "is not UTF-8 text (at byte offset 13)"),
])
def test_malformed_daemon_json_is_reported_with_what_is_wrong(tmp_path, raw, error):
    module = load("docker_engine_host_info")
    path = tmp_path / "daemon.json"
    path.write_bytes(raw)
    found = module.read_daemon_json(str(path))
    assert found["error"] == error
    assert found["settings"] == {}
    assert path.read_bytes() == raw


def test_a_directory_in_place_of_daemon_json_is_reported(tmp_path):
    module = load("docker_engine_host_info")
    assert module.read_daemon_json(str(tmp_path))["error"] == "is not a regular file"


def test_a_record_of_another_shape_is_reported(tmp_path):
    module = load("docker_engine_host_info")
    path = tmp_path / "state"
    path.write_text('{"settings": []}')
    assert "is not a record of the docker_engine role" in module.read_state(str(path))["error"]
    path.write_text("[]")
    assert module.read_state(str(path))["error"] == "holds an array, not a JSON object"


def test_backup_path_takes_a_free_name(tmp_path):
    module = load("docker_engine_host_info")
    target = str(tmp_path / "daemon.json")
    first = module.backup_path(target, 0)
    assert first == f"{target}.19700101T000000Z.labforge-backup"
    open(first, "w").close()
    assert module.backup_path(target, 0) == f"{target}.19700101T000000Z-2.labforge-backup"
