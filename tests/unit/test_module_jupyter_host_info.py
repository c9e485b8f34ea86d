"""The jupyter role's jupyter_host_info module: what the role reads from a host, in one round trip."""

import json
import os

import pytest

from modules import load, run


def test_reads_the_record_password_hashes_and_token_files(tmp_path):
    (tmp_path / "state.json").write_text(json.dumps({"ports": {"a": 8888}}))
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "jupyter_server_config.json").write_text(
        json.dumps({"PasswordIdentityProvider": {"hashed_password": "argon2:xyz"}}))
    (tmp_path / "token").write_text("t" * 20)
    result = run("jupyter_host_info", tmp_path, docker=str(tmp_path / "no-docker"),
                 state_file=str(tmp_path / "state.json"), config_dir=str(tmp_path),
                 password_instances=["bob", "new"], token_files=[str(tmp_path / "token"), str(tmp_path / "none")],
                 images=["x:1"], paths=[str(tmp_path / "bob"), str(tmp_path / "token"), str(tmp_path / "none")])
    assert not result["changed"] and result["docker"] is False
    assert result["previous"] == {"ports": {"a": 8888}}
    assert result["password_hashes"] == {"bob": "argon2:xyz"}
    assert result["token_files"] == {str(tmp_path / "token"): True, str(tmp_path / "none"): False}
    assert result["images"] == []  # no Docker CLI: nothing inspected
    assert isinstance(result["listeners"], str)
    assert result["paths"] == {str(tmp_path / "bob"): "directory", str(tmp_path / "token"): "file",
                               str(tmp_path / "none"): "missing"}
    resources = result["resources"]
    assert resources["cpus"] == len(os.sched_getaffinity(0)) and resources["memory"] > 2**20
    assert resources["gpus"] == len(os.listdir("/proc/driver/nvidia/gpus")) if os.path.isdir(
        "/proc/driver/nvidia/gpus") else resources["gpus"] == 0


def test_no_record_reads_as_empty_and_a_corrupt_one_fails_naming_the_file(tmp_path):
    result = run("jupyter_host_info", tmp_path, state_file=str(tmp_path / "none.json"),
                 config_dir=str(tmp_path))
    assert result["previous"] == {}
    (tmp_path / "state.json").write_text("{not json")
    result = run("jupyter_host_info", tmp_path, state_file=str(tmp_path / "state.json"),
                 config_dir=str(tmp_path))
    assert result["failed"] and f"{tmp_path / 'state.json'} is not JSON" in result["msg"]
    assert "remove it" in result["msg"]


def test_a_record_must_be_an_object(tmp_path):
    module = load("jupyter_host_info")
    (tmp_path / "state.json").write_text("[]")
    with pytest.raises(ValueError, match="must hold a JSON object"):
        module.read_previous(str(tmp_path / "state.json"))


def test_unit_states_come_in_blocks_one_per_unit():
    module = load("jupyter_host_info")
    text = ("Id=labforge-jupyter@a.service\nActiveState=active\nUnitFileState=enabled\n\n"
            "Id=labforge-jupyter@b.service\nActiveState=inactive\nUnitFileState=disabled\n")
    assert module.unit_states(text) == [
        {"Id": "labforge-jupyter@a.service", "ActiveState": "active", "UnitFileState": "enabled"},
        {"Id": "labforge-jupyter@b.service", "ActiveState": "inactive", "UnitFileState": "disabled"}]
    assert module.unit_states("") == []
