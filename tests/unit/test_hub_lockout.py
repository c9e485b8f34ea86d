"""The hub's login lockout (roles/jupyterhub/files/labforge_lockout.py), on a fake clock."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "roles/jupyterhub/files"))
import labforge_lockout  # noqa: E402 (the hub's files are no package)

Lockout = labforge_lockout.Lockout


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def fail(lockout, name, address, times=1):
    for _ in range(times):
        assert lockout.refusal(name, address) is None
        lockout.failed(name, address)


def test_a_name_from_one_address_is_locked_after_the_allowed_failures_then_freed(clock):
    lockout = Lockout(allowed=3, window=60, per_address=100, clock=clock)
    fail(lockout, "teacher", "10.0.1.5", 2)
    assert lockout.refusal("teacher", "10.0.1.5") is None
    assert lockout.failed("teacher", "10.0.1.5") == ["'teacher' from 10.0.1.5 locked for 60 seconds after 3 failed logins"]
    assert "locked" in lockout.refusal("teacher", "10.0.1.5")
    clock.now += 61
    assert lockout.refusal("teacher", "10.0.1.5") is None


def test_one_address_cannot_lock_a_name_out_for_the_others(clock):
    lockout = Lockout(allowed=3, window=60, per_address=100, clock=clock)
    fail(lockout, "teacher", "10.0.1.5", 3)
    for _ in range(20):  # the student keeps trying: refused, not counted against the teacher
        assert lockout.refusal("teacher", "10.0.1.5")
    assert lockout.refusal("teacher", "192.0.2.7") is None


def test_several_addresses_guessing_one_name_lock_it_everywhere(clock):
    lockout = Lockout(allowed=3, window=60, per_address=100, clock=clock)
    for i in range(labforge_lockout.NAME_FACTOR):
        fail(lockout, "teacher", f"10.0.1.{i}", 3)
    assert "locked" in lockout.refusal("teacher", "192.0.2.7")


def test_a_success_resets_the_pair_but_not_the_address(clock):
    lockout = Lockout(allowed=3, window=60, per_address=4, clock=clock)
    fail(lockout, "ann", "10.0.1.5", 2)
    lockout.succeeded("ann", "10.0.1.5")
    fail(lockout, "ann", "10.0.1.5", 2)
    assert lockout.refusal("ann", "10.0.1.5") is None, "the success did not start ann's count again"
    lockout.failed("ann", "10.0.1.5")
    assert "slowed" in lockout.refusal("bob", "10.0.1.5"), "the address's five failures were forgotten"


def test_an_address_trying_many_names_is_slowed_to_one_try_every_few_seconds(clock):
    lockout = Lockout(allowed=5, window=600, per_address=30, clock=clock)
    for i in range(30):
        fail(lockout, f"name{i}", "10.0.1.5")
    assert lockout.refusal("name30", "10.0.1.5") is None  # one try now ...
    lockout.failed("name30", "10.0.1.5")
    assert "slowed" in lockout.refusal("name31", "10.0.1.5")  # ... and then none until it is time
    clock.now += labforge_lockout.SLOW_SECONDS
    assert lockout.refusal("name31", "10.0.1.5") is None
    assert lockout.refusal("name31", "192.0.2.7") is None, "another address was slowed too"


def test_a_class_behind_one_address_logs_in_while_a_few_mistype(clock):
    lockout = Lockout(allowed=5, window=600, per_address=30, clock=clock)
    for i in range(40):
        name = f"student{i}"
        if i % 4 == 0:
            fail(lockout, name, "198.51.100.1")  # a typo
        assert lockout.refusal(name, "198.51.100.1") is None
        lockout.succeeded(name, "198.51.100.1")


def test_a_flood_of_junk_names_from_one_address_is_slowed_and_memory_stays_bounded(clock):
    lockout = Lockout(allowed=5, window=600, per_address=30, max_tracked=500, clock=clock)
    checked = 0
    for i in range(5000):  # 250 s of attempts, every tenth at the teacher's name
        name = "teacher" if i % 10 == 0 else f"junk{i}"
        if lockout.refusal(name, "10.0.1.5") is None:
            checked += 1
            lockout.failed(name, "10.0.1.5")
        clock.now += 0.05
        assert len(lockout) <= 500
    assert checked <= 30 + 250 / labforge_lockout.SLOW_SECONDS + 1, checked


def test_when_memory_is_full_the_lightest_entries_go_and_a_guessed_name_keeps_counting(clock):
    lockout = Lockout(allowed=5, window=600, per_address=10 ** 9, max_tracked=100, clock=clock)
    fail(lockout, "teacher", "10.0.1.5", 4)
    for i in range(1000):
        lockout.failed(f"junk{i}", f"192.0.2.{i % 200}")
        assert len(lockout) <= 100
    lockout.failed("teacher", "10.0.1.5")
    assert "locked" in lockout.refusal("teacher", "10.0.1.5"), "the junk names evicted the teacher's count"


def test_no_lockout_when_the_allowed_failures_are_zero(clock):
    lockout = Lockout(allowed=0, window=600, per_address=1, clock=clock)
    fail(lockout, "ann", "10.0.1.5", 50)
    assert lockout.refusal("ann", "10.0.1.5") is None and len(lockout) == 0


SECRET = "front door secret"
client_address = labforge_lockout.client_address


def test_a_direct_caller_is_its_tcp_peer_whatever_it_claims():
    forged = {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9",
              labforge_lockout.FRONT_DOOR_HEADER: "a guess"}
    assert client_address("10.0.1.9", forged, SECRET) == "10.0.1.9"


def test_through_the_proxy_the_client_is_what_the_proxy_saw_not_what_it_was_told():
    headers = {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9, 10.0.1.9"}
    assert client_address("127.0.0.1", headers, SECRET) == "10.0.1.9"
    assert client_address("127.0.0.1", {"X-Forwarded-For": "::ffff:10.0.1.9"}, SECRET) == "10.0.1.9"
    assert client_address("127.0.0.1", {}, SECRET) == "127.0.0.1"


def test_the_front_doors_address_counts_only_with_its_secret():
    headers = {"X-Real-IP": "198.51.100.4", "X-Forwarded-For": "198.51.100.4, 172.18.0.1"}
    assert client_address("127.0.0.1", {**headers, labforge_lockout.FRONT_DOOR_HEADER: SECRET}, SECRET) == "198.51.100.4"
    assert client_address("127.0.0.1", {**headers, labforge_lockout.FRONT_DOOR_HEADER: "wrong"}, SECRET) == "172.18.0.1"
    assert client_address("127.0.0.1", {**headers, labforge_lockout.FRONT_DOOR_HEADER: ""}, "") == "172.18.0.1"
    bad = {**headers, "X-Real-IP": "not an address", labforge_lockout.FRONT_DOOR_HEADER: SECRET}
    assert client_address("127.0.0.1", bad, SECRET) == "172.18.0.1"
