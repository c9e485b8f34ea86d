"""A student's browser session with the lab's JupyterHub, as the tests (and `make bench`)
drive it from the machine that runs them: sign-up and login forms with the hub's XSRF
cookie, the hub's REST API with the session cookie, and the user's server (contents,
kernels over their websocket) through the proxy, after the OAuth handshake a browser does."""

from __future__ import annotations

import importlib.util
import time
import uuid
from pathlib import Path

import requests
import websocket

# The admin of the hub scenario (molecule/hub/molecule.yml), whose account the role makes.
ADMIN, ADMIN_PASSWORD = "teacher", "the teacher's vaulted password"

# The kernel protocol of jupyter_client.py beside this file (what the tests on the hosts run),
# loaded by its path: PyPI's jupyter_client package has the same name.
_spec = importlib.util.spec_from_file_location("labforge_jupyter_client", Path(__file__).with_name("jupyter_client.py"))
jupyter_client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(jupyter_client)


class HubSession:
    def __init__(self, base_url: str, name: str, password: str, ca: str | None = None):
        """`ca`: the CA file that an https:// base URL's certificate must verify against."""
        self.base = base_url.rstrip("/")
        self.name = name
        self.password = password
        self.http = requests.Session()
        if ca:
            self.http.verify = ca
            self.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the CA

    def _xsrf(self, path: str = "/hub/") -> str:
        """The XSRF cookie the hub (path /hub/) or the user's server (/user/NAME/) set."""
        found = [c for c in self.http.cookies if c.name == "_xsrf" and path.startswith(c.path.rstrip("/") or "/")]
        return max(found, key=lambda c: len(c.path)).value if found else ""

    def _form(self, path: str, data: dict, follow: bool = True) -> requests.Response:
        self.http.get(self.base + path, timeout=30)
        return self.http.post(self.base + path, data={**data, "_xsrf": self._xsrf()}, timeout=60,
                              allow_redirects=follow)

    def signup(self, password: str | None = None) -> requests.Response:
        password = password or self.password
        return self._form("/hub/signup", {"username": self.name, "signup_password": password,
                                          "signup_password_confirmation": password})

    def login(self, password: str | None = None) -> bool:
        """True when the hub let the user in (it answers a refused login with the form again).
        The redirect after a login is not followed: it would start the user's server."""
        self.login_status(password)
        return self.http.get(self.base + "/hub/api/user", timeout=30).status_code == 200

    def login_status(self, password: str | None = None) -> int:
        """The HTTP status of the login form's POST: 302 when the user is let in."""
        return self._form("/hub/login", {"username": self.name, "password": password or self.password},
                          follow=False).status_code

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf(), **kwargs.pop("headers", {})}
        return self.http.request(method, self.base + "/hub/api" + path, headers=headers, timeout=60, **kwargs)

    def authorize(self, user: str) -> None:
        """As an admin: approve (or take back the approval of) a sign-up."""
        page = self.http.get(self.base + f"/hub/authorize/{user}", timeout=30)
        assert page.status_code == 200, page.status_code

    def server(self) -> dict:
        return self.api("GET", f"/users/{self.name}").json()["servers"].get("", {})

    def start(self, timeout: float = 240, options: dict | None = None) -> None:
        """Ask for the user's server (with the spawn form's choices, if any) and wait until it is ready."""
        for _ in range(30):  # a stop that just finished may still be pending in the hub for a moment
            answer = self.api("POST", f"/users/{self.name}/server", json=options or {})
            if not (answer.status_code == 400 and "pending" in answer.text):
                break
            time.sleep(1)
        assert answer.status_code in (201, 202) or "already running" in answer.text, (answer.status_code, answer.text)
        self.wait_ready(timeout)
        self.open_lab()  # where a browser lands after a spawn: the server's login (OAuth) for this spawn

    def wait_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.server()
            if server.get("ready"):
                return
            if not server:
                raise AssertionError(f"{self.name}'s server failed to start: {self.api('GET', '/user').text}")
            time.sleep(2)
        raise AssertionError(f"{self.name}'s server was not ready in {timeout} s: {self.server()}")

    def stop(self, timeout: float = 120) -> None:
        answer = self.api("DELETE", f"/users/{self.name}/server")
        assert answer.status_code in (202, 204), (answer.status_code, answer.text)
        deadline = time.monotonic() + timeout
        while self.server() and time.monotonic() < deadline:
            time.sleep(2)
        assert not self.server(), f"{self.name}'s server did not stop in {timeout} s"

    # The user's server, through the proxy.
    def open_lab(self, user: str | None = None) -> requests.Response:
        """GET /user/NAME/lab as a browser does, following the OAuth redirects."""
        return self.http.get(f"{self.base}/user/{user or self.name}/lab", timeout=60)

    def server_api(self, method: str, path: str, **kwargs) -> requests.Response:
        url = f"{self.base}/user/{self.name}/api{path}"
        headers = {"X-XSRFToken": self._xsrf(f"/user/{self.name}/"), **kwargs.pop("headers", {})}
        return self.http.request(method, url, headers=headers, timeout=60, **kwargs)

    def save_notebook(self, path: str, text: str) -> None:
        body = {"type": "notebook", "format": "json", "content": {
            "nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "markdown", "id": "marker", "metadata": {}, "source": text}]}}
        answer = self.server_api("PUT", f"/contents/{path}", json=body)
        assert answer.status_code in (200, 201), (answer.status_code, answer.text)

    def read_notebook(self, path: str) -> str | None:
        answer = self.server_api("GET", f"/contents/{path}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, (answer.status_code, answer.text)
        return answer.json()["content"]["cells"][0]["source"]

    def start_kernel(self) -> str:
        answer = self.server_api("POST", "/kernels", json={"name": "python3"})
        assert answer.status_code == 201, (answer.status_code, answer.text)
        return answer.json()["id"]

    def run(self, kernel_id: str, code: str, timeout: float = 120) -> str:
        """Run code in the kernel over its channels websocket, as JupyterLab runs a cell."""
        ws_base = self.base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        sslopt = {"ca_certs": self.http.verify} if isinstance(self.http.verify, str) else {}
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        ws = websocket.create_connection(
            f"{ws_base}/user/{self.name}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}",
            cookie=cookies, header=[f"X-XSRFToken: {self._xsrf(f'/user/{self.name}/')}"], timeout=timeout,
            sslopt=sslopt)
        try:
            return jupyter_client.execute(ws.send, ws.recv, code, timeout, username=self.name)
        except RuntimeError as error:
            raise AssertionError(str(error)) from error
        finally:
            ws.close()
