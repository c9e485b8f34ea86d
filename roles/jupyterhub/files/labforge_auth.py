"""Every path that checks a password (the login form, a token asked for with a password) goes
through the same lockout whatever the authenticator (labforge_lockout): by user name and client
address, by user name, and by address. Every failure and refusal is logged with the user name
and the client's address, so `journalctl -u labforge-jupyterhub` shows who was tried from where.

The client's address is one a student cannot forge. The hub shares its network namespace with
the lab's proxy, so a request whose TCP peer is loopback came through the proxy, which appends
the address it saw to X-Forwarded-For; X-Real-IP, set by the HTTPS front door, counts only with
the front door's secret header (a root-only file on the hub host). A request from anywhere else
(a student's server calling the hub on the overlay) is counted by its TCP peer.

LDAP and PAM have no lockout of their own, and NativeAuthenticator's logs no address, so the
hub's configuration turns NativeAuthenticator's off and uses this one for all three. The
counts live in the hub's memory: a restart of the hub clears them.

With native logins, the admins' accounts are made (or their passwords reset) at the hub's
start from a root-only file the role writes from the vault, so that no one can sign up under
an admin's name first; a sign-up under an admin's name is refused in any case."""

import json
from pathlib import Path

from jupyterhub.auth import Authenticator, PAMAuthenticator
from labforge_lockout import Lockout, client_address
from traitlets import Integer

def vouch_for_client_addresses(front_door_secret_file: str) -> None:
    """Every request's remote_ip (the hub's own log, the lockout) becomes client_address's.

    JupyterHub serves with tornado's xheaders, which take X-Real-IP and X-Forwarded-For from
    anyone; the hub has no setting for whom to trust. This wraps tornado's method that applies
    them: an upgrade of tornado that renames it stops the hub at its start, not silently."""
    from tornado.httpserver import _HTTPRequestContext

    secret_path = Path(front_door_secret_file)
    secret = secret_path.read_text().strip() if secret_path.exists() else ""
    apply_xheaders = _HTTPRequestContext._apply_xheaders

    def _apply_xheaders(context, headers):
        apply_xheaders(context, headers)  # the scheme (X-Scheme) from the front door, for Secure cookies
        context.remote_ip = client_address(context._orig_remote_ip, headers, secret)

    _HTTPRequestContext._apply_xheaders = _apply_xheaders


class LoginLockout(Authenticator):
    allowed_failed_logins = Integer(5, config=True, help="Failures in a row of a name from one address; 0: no lockout.")
    lockout_seconds = Integer(600, config=True, help="How long a lockout lasts, and how long failures are remembered.")
    failed_logins_per_address = Integer(
        30, config=True, help="Failures from one address, over every name, after which it is slowed.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lockout = Lockout(self.allowed_failed_logins, self.lockout_seconds, self.failed_logins_per_address)

    async def get_authenticated_user(self, handler, data):
        name = self.normalize_username(str((data or {}).get("username", "")))
        source = handler.request.remote_ip if handler is not None else "-"  # see vouch_for_client_addresses
        refusal = self.lockout.refusal(name, source)
        if refusal:
            self.log.warning("labforge login lockout: %r from %s refused: %s", name, source, refusal)
            return None
        user = await super().get_authenticated_user(handler, data)
        if user:
            self.lockout.succeeded(name, source)
            return user
        self.log.warning("labforge failed login: %r from %s", name, source)
        for event in self.lockout.failed(name, source):
            self.log.warning("labforge login lockout: %s", event)
        return None


class NativeAdmins:
    """NativeAuthenticator whose admins' accounts come from the operator, not from a sign-up."""

    admin_passwords_file = "/etc/jupyterhub/secrets/admin_passwords.json"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.provision_admins()

    def provision_admins(self):
        import bcrypt
        from nativeauthenticator.orm import UserInfo

        path = Path(self.admin_passwords_file)
        passwords = json.loads(path.read_text()) if path.exists() else {}
        for name, password in passwords.items():
            info = UserInfo.find(self.db, name)
            if info is None:
                info = UserInfo(username=name, password=bcrypt.hashpw(password.encode(), bcrypt.gensalt()))
                self.db.add(info)
            elif not bcrypt.checkpw(password.encode(), info.password):
                info.password = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            info.is_authorized = True
        self.db.commit()
        self.log.info("labforge: the accounts of %d admins are as the operator set them", len(passwords))

    def create_user(self, username, password, **kwargs):
        if self.normalize_username(username) in self.admin_users:
            self.log.warning("labforge: refused a sign-up under the admin name %r", username)
            return None
        return super().create_user(username, password, **kwargs)


def with_lockout(kind):
    """The authenticator class for `kind` (native, pam or ldap) under the lockout."""
    mixins = (LoginLockout,)
    if kind == "native":
        from nativeauthenticator import NativeAuthenticator as base

        mixins += (NativeAdmins,)
    elif kind == "ldap":
        from ldapauthenticator import LDAPAuthenticator as base
    else:
        base = PAMAuthenticator
    return type(f"Labforge{base.__name__}", (*mixins, base), {})
