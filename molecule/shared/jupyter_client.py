"""Runs ON the test host (copied there by the tests): talks to a Jupyter instance on its
loopback port. The token comes from the environment, so it never shows in `ps`.

  python3 jupyter_client.py status URL            -> HTTP status of URL/api/status
  python3 jupyter_client.py get URL PATH          -> status, then the body
  python3 jupyter_client.py put-notebook URL PATH TEXT
  python3 jupyter_client.py login URL             -> status of /api/status after a password login
  python3 jupyter_client.py wait URL SECONDS [STATUS] -> waits for STATUS (200) on /api/status
  python3 jupyter_client.py put-file URL PATH BASE64    -> status of saving a file through the contents API
  python3 jupyter_client.py put-setting URL PLUGIN RAW  -> status of saving JupyterLab settings
  python3 jupyter_client.py kernel-start URL      -> the ID of a new python3 kernel
  python3 jupyter_client.py kernel-run URL ID CODE      -> what CODE printed, run in the kernel over
                                                    its websocket, as JupyterLab runs a cell
"""

import base64
import http.cookiejar
import json
import os
import socket
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

TOKEN = os.environ.get("JUPYTER_TEST_TOKEN", "")
PASSWORD = os.environ.get("JUPYTER_TEST_PASSWORD", "")


def request(url, method="GET", body=None, opener=None, headers=None):
    headers = dict(headers or {})
    if TOKEN:
        headers["Authorization"] = f"token {TOKEN}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, str(error)


def notebook(text):
    return {
        "type": "notebook",
        "format": "json",
        "content": {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [{"cell_type": "markdown", "id": "marker", "metadata": {}, "source": text}],
        },
    }


class WebSocket:
    """A minimal websocket client (RFC 6455, text frames) on the standard library: the test
    hosts have no websocket package."""

    def __init__(self, url, timeout=60):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {parts.path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if TOKEN:
            lines.append(f"Authorization: token {TOKEN}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("the server closed the connection during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status:
            raise ConnectionError(f"no websocket: {status}")

    def _read(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the server closed the websocket")
            data += chunk
        return data

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, text):
        self._frame(0x1, text.encode())

    def receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._read(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(size)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("the server closed the websocket")
            if opcode == 0x9:
                self._frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return message.decode()


def execute(send, receive, code, timeout=120, username="labforge-test"):
    """Run code over a kernel's channels websocket (its send and receive functions) as
    JupyterLab runs a cell; return what it printed, or raise with the kernel's error."""
    msg_id = uuid.uuid4().hex
    send(json.dumps({
        "header": {"msg_id": msg_id, "username": username, "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    # The reply comes on the shell channel and the output on iopub: the output is complete
    # only when iopub says the kernel is idle again after this request (a loaded machine
    # delivers the reply first).
    output, deadline, reply, idle = [], time.time() + timeout, None, False
    while time.time() < deadline and (reply is None or not idle):
        message = json.loads(receive())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["header"]["msg_type"]
        if kind == "stream":
            output.append(message["content"]["text"])
        elif kind == "error":
            output.append(f"{message['content']['ename']}: {message['content']['evalue']}")
        elif kind == "execute_reply":
            reply = message["content"]["status"]
        elif kind == "status" and message["content"].get("execution_state") == "idle":
            idle = True
    if reply != "ok" or not idle:
        raise RuntimeError(f"the kernel answered {reply} (idle again: {idle}): {''.join(output)}")
    return "".join(output)


def kernel_run(url, kernel_id, code, timeout=120):
    """Run code in a kernel through its channels websocket."""
    ws = WebSocket(url + f"api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}")
    return execute(ws.send, ws.receive, code, timeout)


def login(url):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    request(url + "login", opener=opener)
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
    form = urllib.parse.urlencode({"password": PASSWORD, "_xsrf": xsrf}).encode()
    request(url + "login", "POST", form, opener, {"Content-Type": "application/x-www-form-urlencoded"})
    return request(url + "api/status", opener=opener)[0]


def main(command, url, *args):
    if command == "status":
        print(request(url + "api/status")[0])
    elif command == "get":
        status, body = request(url + args[0])
        print(status)
        print(body)
    elif command == "put-notebook":
        print(request(url + "api/contents/" + args[0], "PUT", notebook(args[1]))[0])
    elif command == "put-file":
        body = {"type": "file", "format": "base64", "content": args[1]}
        print(request(url + "api/contents/" + args[0], "PUT", body)[0])
    elif command == "put-setting":
        print(request(url + "lab/api/settings/" + args[0], "PUT", {"raw": args[1]})[0])
    elif command == "kernel-start":
        status, body = request(url + "api/kernels", "POST", {"name": "python3"})
        print(json.loads(body)["id"] if status == 201 else f"{status} {body}")
    elif command == "kernel-run":
        print(kernel_run(url, args[0], args[1]), end="")
    elif command == "login":
        print(login(url))
    elif command == "wait":
        deadline, wanted = time.time() + float(args[0]), int(args[1]) if len(args) > 1 else 200
        while time.time() < deadline:
            if request(url + "api/status")[0] == wanted:
                print(wanted)
                return
            time.sleep(1)
        print(request(url + "api/status")[0])


if __name__ == "__main__":
    main(*sys.argv[1:])
