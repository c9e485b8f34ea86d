"""The rig's own proof: systemd runs in the host container and serves the play's unit."""


def test_systemd_is_pid_1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running --wait").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-legend").stdout


def test_unit_is_active_and_enabled(host):
    unit = host.service("labforge-smoke.service")
    assert unit.is_running
    assert unit.is_enabled


def test_unit_listens_only_on_loopback(host):
    assert host.socket("tcp://127.0.0.1:8080").is_listening
    assert not host.socket("tcp://0.0.0.0:8080").is_listening


def test_unit_serves_the_page(host):
    page = host.check_output(
        "python3 -c \"import urllib.request as u; "
        "print(u.urlopen('http://127.0.0.1:8080/index.html').read().decode())\""
    )
    assert page.strip() == "labforge smoke unit"
