#!/usr/bin/env python3
"""Time from running a command until a URL answers. Standalone (stdlib only): the bench copies
it into lab hosts as well as importing it.

    probe_ready.py URL [--token T] [--any-status] [--timeout S] [-- COMMAND...]

Prints the seconds from just before COMMAND starts until URL answers 200 (with --any-status:
any HTTP answer). COMMAND must return once the service is launched (systemctl start,
docker run -d). Without COMMAND: the seconds until URL answers, 0 if it already does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.error
import urllib.request


def answers(url: str, token: str = "", any_status: bool = False) -> bool:
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as reply:
            return any_status or reply.status == 200
    except urllib.error.HTTPError:
        return any_status
    except OSError:
        return False


def wait_ready(url: str, started: float, token: str = "", any_status: bool = False, timeout: float = 300) -> float:
    """Poll every 50 ms; the seconds since ``started`` (a time.monotonic()) when URL answered."""
    while not answers(url, token, any_status):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--token", default="")
    parser.add_argument("--any-status", action="store_true")
    parser.add_argument("--timeout", type=float, default=300)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = parser.parse_args(argv[:split]), argv[split + 1 :]
    if command and answers(args.url, args.token, args.any_status):
        print(f"{args.url} already answers before the command ran", file=sys.stderr)
        return 2
    started = time.monotonic()
    if command:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    print(f"{wait_ready(args.url, started, args.token, args.any_status, args.timeout):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
