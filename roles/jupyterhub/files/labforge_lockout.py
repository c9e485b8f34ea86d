"""Failed logins counted in bounded memory, for labforge_auth (plain Python, tested without a hub).

Three counts, each forgotten `window` seconds after its last failure:
- a user name from one address: `allowed` failures in a row lock that pair out for `window`
  seconds, even with the right password;
- a user name from every address: `allowed * NAME_FACTOR` failures lock the name out
  everywhere. One address locks its pair first, so it takes several addresses: one student
  cannot lock a classmate or the teacher out;
- one address over every name: past `per_address` failures, the address gets one attempt every
  `SLOW_SECONDS`, so a run through a list of names is slowed, while a class behind one address
  (NAT), who mostly type their passwords right, logs in at once.

client_address() is the address the lockout counts (labforge_auth puts it in every request's
remote_ip): one a student cannot forge.

Memory is bounded: beyond `max_tracked` entries, stale ones go first, then the tenth that
weighs least (not locked, fewest failures, oldest). A flood of new names, each failing once,
evicts only entries like themselves: a name that is being guessed keeps counting.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from dataclasses import dataclass

NAME_FACTOR = 4
SLOW_SECONDS = 10.0
FRONT_DOOR_HEADER = "X-Labforge-Front-Door"


def client_address(peer: str, headers, front_door_secret: str = "") -> str:
    """The address a request came from, as far as the lab can vouch for it: `peer` is the TCP
    peer, `headers` the request's."""
    try:
        through_proxy = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        through_proxy = False
    if not through_proxy:
        return peer
    forwarded = [hop.strip() for hop in headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    seen_by_proxy = forwarded[-1].removeprefix("::ffff:") if forwarded else peer
    sent = headers.get(FRONT_DOOR_HEADER, "")
    if front_door_secret and sent and hmac.compare_digest(sent.encode(), front_door_secret.encode()):
        real = headers.get("X-Real-IP", "").strip()
        try:
            return str(ipaddress.ip_address(real))
        except ValueError:
            pass
    return seen_by_proxy


@dataclass
class _Entry:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0
    next_try: float = 0.0


class Lockout:
    def __init__(self, allowed: int, window: float, per_address: int, max_tracked: int = 10000,
                 clock=time.monotonic):
        self.allowed = allowed
        self.window = window
        self.per_address = per_address
        self.max_tracked = max_tracked
        self.clock = clock
        self._entries: dict[tuple, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: tuple, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry and entry.locked_until <= now and entry.last + self.window <= now:
            del self._entries[key]  # forgotten: its last failure is older than the window
            return None
        return entry

    def refusal(self, name: str, address: str) -> str | None:
        """Why an attempt must be refused before its password is checked, or None."""
        if not self.allowed:
            return None
        now = self.clock()
        for key, what in (((name, address), f"{name!r} from {address}"), ((name,), f"{name!r}")):
            entry = self._get(("pair", *key) if len(key) == 2 else ("name", *key), now)
            if entry and entry.locked_until > now:
                return f"{what} locked for {entry.locked_until - now:.0f} more seconds"
        entry = self._get(("address", address), now)
        if entry and self.per_address and entry.failures >= self.per_address:
            if entry.next_try > now:
                return f"{address} slowed after {entry.failures} failed logins: next try in {entry.next_try - now:.0f} s"
            entry.next_try = now + SLOW_SECONDS
        return None

    def failed(self, name: str, address: str) -> list[str]:
        """Count a failure; what it locked, for the log."""
        if not self.allowed:
            return []
        now = self.clock()
        events = []
        limits = (
            (("pair", name, address), self.allowed, f"{name!r} from {address}"),
            (("name", name), self.allowed * NAME_FACTOR, f"{name!r} from every address"),
            (("address", address), 0, ""),
        )
        for key, limit, what in limits:
            entry = self._get(key, now)
            if entry is None:
                self._make_room(now)
                entry = self._entries[key] = _Entry()
            entry.failures += 1
            entry.last = now
            if limit and entry.failures >= limit:
                entry.failures, entry.locked_until = 0, now + self.window
                events.append(f"{what} locked for {self.window:.0f} seconds after {limit} failed logins")
        return events

    def succeeded(self, name: str, address: str) -> None:
        """The name's failures from that address start again; the address's own count stays."""
        self._entries.pop(("pair", name, address), None)

    def _make_room(self, now: float) -> None:
        if len(self._entries) < self.max_tracked:
            return
        for key in [k for k, e in self._entries.items() if e.locked_until <= now and e.last + self.window <= now]:
            del self._entries[key]
        if len(self._entries) < self.max_tracked:
            return

        def weight(item):
            entry = item[1]
            return (entry.locked_until > now, entry.failures, entry.last)

        for key, _ in sorted(self._entries.items(), key=weight)[: max(1, self.max_tracked // 10)]:
            del self._entries[key]
