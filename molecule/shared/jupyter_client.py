"""Runs ON the test host (copied there by the tests): talks to a Jupyter instance on its
loopback port. The token comes from the environment, so it never shows in `ps`.

  python3 jupyter_client.py status URL            -> HTTP status of URL/api/status
  python3 jupyter_client.py get URL PATH          -> status, then the body
  python3 jupyter_client.py put-notebook URL PATH TEXT
  python3 jupyter_client.py login URL             -> status of /api/status after a password login
  python3 jupyter_client.py wait URL SECONDS      -> waits for 200 on /api/status
"""

import http.cookiejar
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

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
    elif command == "login":
        print(login(url))
    elif command == "wait":
        deadline = time.time() + float(args[0])
        while time.time() < deadline:
            if request(url + "api/status")[0] == 200:
                print(200)
                return
            time.sleep(1)
        print(request(url + "api/status")[0])


if __name__ == "__main__":
    main(*sys.argv[1:])
