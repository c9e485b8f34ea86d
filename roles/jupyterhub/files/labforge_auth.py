"""Failed logins are slowed the same way whatever the authenticator: after
`allowed_failed_logins` failures in a row, a user name is refused for `lockout_seconds`,
even with the right password. Every refused attempt is logged with the user name and the
client's address (the hub trusts X-Real-IP from the HTTPS front server and its proxy), so
`journalctl -u labforge-jupyterhub` shows who was tried from where.

LDAP and PAM have no lockout of their own, and NativeAuthenticator's logs no address, so
the hub's configuration turns NativeAuthenticator's off and uses this one for all three.
The counts live in the hub's memory: a restart of the hub clears them."""

import time

from jupyterhub.auth import Authenticator, PAMAuthenticator
from traitlets import Integer

# Beyond this many tracked names, those no longer locked are forgotten first, so a run
# through a dictionary of user names cannot grow the hub's memory without bound.
_MAX_TRACKED = 10000


class LoginLockout(Authenticator):
    allowed_failed_logins = Integer(5, config=True, help="Failures in a row before a lockout; 0: never.")
    lockout_seconds = Integer(600, config=True, help="How long a locked-out name is refused.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._failures = {}  # user name -> [failures in a row, locked until (monotonic)]

    def _forget_unlocked(self, now):
        if len(self._failures) >= _MAX_TRACKED:
            self._failures = {n: f for n, f in self._failures.items() if f[1] > now}

    async def get_authenticated_user(self, handler, data):
        name = self.normalize_username(str((data or {}).get("username", "")))
        source = handler.request.remote_ip if handler is not None else "-"
        now = time.monotonic()
        failures, locked_until = self._failures.get(name, (0, 0.0))
        if locked_until > now:
            self.log.warning(
                "labforge login lockout: %r from %s refused, locked for %d more seconds",
                name, source, locked_until - now,
            )
            return None
        user = await super().get_authenticated_user(handler, data)
        if user:
            self._failures.pop(name, None)
            return user
        failures += 1
        self.log.warning("labforge failed login: %r from %s (%d in a row)", name, source, failures)
        if self.allowed_failed_logins and failures >= self.allowed_failed_logins:
            self.log.warning(
                "labforge login lockout: %r locked for %d seconds after %d failed logins, the last from %s",
                name, self.lockout_seconds, failures, source,
            )
            failures, locked_until = 0, now + self.lockout_seconds
        self._forget_unlocked(now)
        self._failures[name] = [failures, locked_until]
        return None


def with_lockout(kind):
    """The authenticator class for `kind` (native, pam or ldap) under the lockout."""
    if kind == "native":
        from nativeauthenticator import NativeAuthenticator as base
    elif kind == "ldap":
        from ldapauthenticator import LDAPAuthenticator as base
    else:
        base = PAMAuthenticator
    return type(f"Labforge{base.__name__}", (LoginLockout, base), {})
