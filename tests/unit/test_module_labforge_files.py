"""The labforge_files module: many directories and files in one round trip."""

import os
import stat

import pytest

from modules import load, run

ME, MY_GROUP = str(os.getuid()), str(os.getgid())


def spec(tmp_path, content="A=1\n", mode="0644", secret="token-abcdefghijkl\n"):
    where = tmp_path / "etc" / "inst"
    return {
        "directories": [{"path": str(where), "owner": ME, "group": MY_GROUP, "mode": "2775", "key": "inst"}],
        "files": [{"path": str(where / "instance.env"), "content": content, "owner": ME, "group": MY_GROUP,
                   "mode": mode, "key": "inst"},
                  {"path": str(tmp_path / "unit.service"), "content": "[Unit]\n", "owner": ME, "group": MY_GROUP,
                   "mode": "0644"}],
        "secret_files": [{"path": str(where / "server.json"), "content": secret, "owner": ME, "group": MY_GROUP,
                          "mode": "0600", "key": "inst"}],
    }


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_first_run_creates_everything_with_its_mode_then_a_second_run_changes_nothing(tmp_path):
    first = run("labforge_files", tmp_path, **spec(tmp_path))
    where = tmp_path / "etc" / "inst"
    assert first["changed"] and first["changed_keys"] == ["inst"]
    assert first["changed_paths"] == [str(where), str(where / "instance.env"), str(tmp_path / "unit.service"),
                                      str(where / "server.json")]
    assert (where / "instance.env").read_text() == "A=1\n" and mode_of(where / "instance.env") == 0o644
    assert mode_of(where) == 0o2775 and mode_of(where / "server.json") == 0o600
    assert (where / "server.json").read_text() == "token-abcdefghijkl\n"
    second = run("labforge_files", tmp_path, **spec(tmp_path))
    assert not second["changed"] and second["changed_paths"] == [] and second["diff"] == []
    assert not [name for name in os.listdir(where) if name.startswith(".labforge_files.")]


def test_check_mode_reports_the_change_and_writes_nothing(tmp_path):
    result = run("labforge_files", tmp_path, check=True, **spec(tmp_path))
    assert result["changed"] and result["changed_keys"] == ["inst"]
    assert not (tmp_path / "etc").exists() and not (tmp_path / "unit.service").exists()


def test_a_changed_file_shows_its_diff_and_names_only_its_key(tmp_path):
    run("labforge_files", tmp_path, **spec(tmp_path))
    changed = spec(tmp_path)
    changed["files"][1]["content"] = "[Unit]\nDescription=x\n"
    result = run("labforge_files", tmp_path, **changed)
    assert result["changed_paths"] == [str(tmp_path / "unit.service")] and result["changed_keys"] == []
    (diff,) = result["diff"]
    assert diff["before"] == "[Unit]\n" and diff["after"] == "[Unit]\nDescription=x\n"


def test_a_secret_never_appears_in_the_result_not_even_in_its_diff(tmp_path):
    run("labforge_files", tmp_path, **spec(tmp_path))
    result = run("labforge_files", tmp_path, **spec(tmp_path, secret="new-token-0123456789\n"))
    assert result["changed_paths"] == [str(tmp_path / "etc" / "inst" / "server.json")]
    text = repr(result)
    assert "token-abcdefghijkl" not in text and "new-token-0123456789" not in text
    assert "not shown" in result["diff"][0]["before"]
    assert (tmp_path / "etc" / "inst" / "server.json").read_text() == "new-token-0123456789\n"


def test_a_mode_change_alone_is_fixed_and_shown(tmp_path):
    run("labforge_files", tmp_path, **spec(tmp_path))
    os.chmod(tmp_path / "etc" / "inst" / "instance.env", 0o666)
    result = run("labforge_files", tmp_path, **spec(tmp_path))
    assert result["changed_keys"] == ["inst"] and mode_of(tmp_path / "etc" / "inst" / "instance.env") == 0o644
    assert "mode 0666" in result["diff"][0]["before"] and "mode 0644" in result["diff"][0]["after"]


def test_bad_entries_fail_naming_the_path(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "inst").write_text("a file where a directory goes")
    result = run("labforge_files", tmp_path, **spec(tmp_path))
    assert result["failed"] and result["msg"] == f"{tmp_path / 'etc' / 'inst'}: {tmp_path / 'etc' / 'inst'} exists " \
                                                "and is not a directory"
    bad = spec(tmp_path / "other")
    bad["files"][0]["owner"] = "no-such-user-here"
    assert "no user named 'no-such-user-here'" in run("labforge_files", tmp_path, **bad)["msg"]


def test_modes_are_octal_strings():
    module = load("labforge_files")
    assert module.parse_mode("0644") == 0o644 and module.parse_mode("2775") == 0o2775
    for bad in ("rw-r--r--", "99999", "0o644x"):
        with pytest.raises(module.EntryError, match="mode must be"):
            module.parse_mode(bad)


def test_validate_keeps_the_old_file_when_the_new_one_is_refused(tmp_path):
    good = spec(tmp_path)
    run("labforge_files", tmp_path, **good)
    refused = spec(tmp_path, content="A=2\n")
    refused["files"][0]["validate"] = "grep -q A=1 %s"
    result = run("labforge_files", tmp_path, **refused)
    assert result["failed"] and "failed validation" in result["msg"]
    assert (tmp_path / "etc" / "inst" / "instance.env").read_text() == "A=1\n"
    assert not [name for name in os.listdir(tmp_path / "etc" / "inst") if name.startswith(".labforge_files.")]
    accepted = spec(tmp_path, content="A=2\n")
    accepted["files"][0]["validate"] = "grep -q A=2 %s"
    assert run("labforge_files", tmp_path, **accepted)["changed"]
    assert (tmp_path / "etc" / "inst" / "instance.env").read_text() == "A=2\n"
    no_placeholder = spec(tmp_path, content="A=3\n")
    no_placeholder["files"][0]["validate"] = "true"
    assert "validate must contain %s" in run("labforge_files", tmp_path, **no_placeholder)["msg"]


def test_keep_previous_keeps_each_replaced_version_with_its_owner_and_mode(tmp_path):
    where = tmp_path / "etc" / "inst"
    def keeping(entries):
        for entry in entries["files"][:1] + entries["secret_files"]:
            entry["keep_previous"] = True
        return entries

    first = run("labforge_files", tmp_path, **keeping(spec(tmp_path)))
    assert first["previous_paths"] == []  # nothing was replaced
    changed = spec(tmp_path, content="A=2\n", secret="token-new-abcdefghijkl\n")
    changed["files"][1]["content"] = "[Unit]\nDescription=x\n"  # changed, but not kept
    second = run("labforge_files", tmp_path, **keeping(changed))
    assert second["previous_paths"] == [str(where / "instance.env.labforge-previous"),
                                        str(where / "server.json.labforge-previous")]
    assert (where / "instance.env.labforge-previous").read_text() == "A=1\n"
    assert (where / "server.json.labforge-previous").read_text() == "token-abcdefghijkl\n"
    assert mode_of(where / "server.json.labforge-previous") == 0o600
    assert "token-abcdefghijkl" not in str(second)
    assert not (tmp_path / "unit.service.labforge-previous").exists()
    run("labforge_files", tmp_path, **keeping(spec(tmp_path, content="A=3\n")))
    assert (where / "instance.env.labforge-previous").read_text() == "A=2\n"
    # Without the option nothing is kept.
    run("labforge_files", tmp_path, **spec(tmp_path, content="A=4\n"))
    assert (where / "instance.env.labforge-previous").read_text() == "A=2\n"
