"""The docker_engine role's docker_engine_host_info module: what the role reads from a host, in one round trip."""

import getpass

from modules import load, run


def test_reads_packages_users_and_paths_of_this_machine(tmp_path):
    (tmp_path / "there").write_text("")
    me = getpass.getuser()
    result = run("docker_engine", "docker_engine_host_info", tmp_path, packages=["dpkg", "no-such-package-here"],
                 users=[me, "no-such-user-here"], paths=[str(tmp_path / "there"), str(tmp_path / "not-there")])
    assert not result["changed"]
    assert result["packages"]["dpkg"]["installed"] is True and result["packages"]["dpkg"]["version"]
    assert "no-such-package-here" not in result["packages"]
    assert result["missing_users"] == ["no-such-user-here"]
    assert result["paths"] == {str(tmp_path / "there"): True, str(tmp_path / "not-there"): False}
    assert isinstance(result["pci"], list) and isinstance(result["dockerd_validates"], bool)
    assert set(result["unit_state"]) == {"active", "enabled"}


def test_check_mode_reads_the_same(tmp_path):
    result = run("docker_engine", "docker_engine_host_info", tmp_path, check=True, packages=["dpkg"])
    assert result["packages"]["dpkg"]["installed"] is True


def test_dpkg_states_installed_held_and_removed():
    module = load("docker_engine", "docker_engine_host_info")
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
    module = load("docker_engine", "docker_engine_host_info")
    device = tmp_path / "0000:01:00.0"
    device.mkdir()
    (device / "vendor").write_text("0x10de\n")
    (device / "class").write_text("0x030000\n")
    assert module.pci_lines(str(tmp_path)) == [f"{device}/class:0x030000", f"{device}/vendor:0x10de"]


def test_systemctl_show_output_keeps_values_with_equals_signs():
    module = load("docker_engine", "docker_engine_host_info")
    text = ("ExecStart={ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// ; ignore_errors=no }\n"
            "ActiveState=active\nUnitFileState=enabled\n")
    assert module.parse_show(text) == {
        "ExecStart": "{ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// ; ignore_errors=no }",
        "ActiveState": "active", "UnitFileState": "enabled"}
