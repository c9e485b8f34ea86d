"""The jupyter role's jupyter_ready module, against HTTP servers on loopback that the tests start."""

import http.server
import socket
import threading
import time

import pytest

from modules import run

TOKEN = "token-0123456789abcdef"


class Jupyterish(http.server.BaseHTTPRequestHandler):
    """/api/status answers 200 with the right token only; /api answers 200 to anyone."""

    asked: threading.Event | None = None

    def do_GET(self):  # noqa: N802 - the handler's API
        if self.asked is not None:
            self.asked.set()
        ok = self.path.endswith("/api") or self.headers.get("Authorization") == f"token {TOKEN}"
        self.send_response(200 if ok else 403)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve():
    servers = []

    def start(port, after=0.0, once=None, asked=None):
        """Listen on port ``after`` seconds from now, or from when ``once`` is set; set ``asked`` when asked."""
        handler = type("Handler", (Jupyterish,), {"asked": asked})

        def later():
            if once is not None:
                once.wait(30)
            time.sleep(after)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
            servers.append(server)
            server.serve_forever()

        threading.Thread(target=later, daemon=True).start()

    yield start
    for server in servers:
        server.shutdown()


def test_waits_for_a_server_that_starts_late_and_asks_with_the_token(serve, tmp_path):
    late, password = free_port(), free_port()
    first_request = threading.Event()
    # The late server starts listening 1 s after the module's first request, so the module has
    # been waiting at least that long, however slowly it started.
    serve(password, asked=first_request)
    serve(late, after=1.0, once=first_request)
    result = run("jupyter_ready", tmp_path, timeout=20, instances=[
        {"name": "late", "url": f"http://127.0.0.1:{late}/api/status", "token": TOKEN},
        {"name": "pw", "url": f"http://127.0.0.1:{password}/bob/api"}])
    assert not result.get("failed"), result
    assert result["seconds"]["late"] >= 1.0 and result["seconds"]["pw"] < result["seconds"]["late"]
    assert TOKEN not in repr(result)


def test_a_wrong_token_is_not_ready_and_the_last_answer_is_given(serve, tmp_path):
    port, nobody = free_port(), free_port()
    serve(port)
    result = run("jupyter_ready", tmp_path, timeout=2, instances=[
        {"name": "alice", "url": f"http://127.0.0.1:{port}/api/status", "token": "wrong-token-0123456789"},
        {"name": "gone", "url": f"http://127.0.0.1:{nobody}/api/status", "token": TOKEN}])
    assert result["failed"] and result["msg"] == "alice, gone did not answer (waited at most 2 s)"
    assert result["not_ready"]["alice"] == "HTTP 403"
    assert "refused" in result["not_ready"]["gone"].lower()


def test_check_mode_asks_nothing(tmp_path):
    result = run("jupyter_ready", tmp_path, check=True, instances=[
        {"name": "a", "url": f"http://127.0.0.1:{free_port()}/api/status"}])
    assert not result.get("failed") and result["seconds"] == {}
