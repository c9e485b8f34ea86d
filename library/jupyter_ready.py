#!/usr/bin/python
"""Wait on the host until every Jupyter instance answers, in one round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
module: jupyter_ready
short_description: Wait until every Jupyter instance answers HTTP 200, polling on the host
description:
  - Asks each instance's URL every I(interval) seconds, all instances in the same loop, until each
    answers 200 or I(timeout) seconds have passed. A token instance is asked with its token.
  - Replaces M(ansible.builtin.uri) with C(until): that costs a round trip (about 0.35 s over SSH,
    bench/README.md) per attempt and per instance, so it polled every 3 s; this module polls
    every instance every 0.25 s in one round trip.
  - Only reads; in check mode it does nothing.
options:
  instances:
    description:
      - The instances, each a mapping of C(name), C(url) and, for a token instance, C(token).
      - With C(unit), the instance's systemd unit is watched too - an instance whose unit systemd
        restarts while it waits (its container would not start, or stopped) is given up at once
        instead of at I(timeout).
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds to wait for all of them.
    type: int
    default: 180
  interval:
    description: Seconds between two rounds of requests.
    type: float
    default: 0.25
"""

RETURN = r"""
seconds:
  description: Instance name to the seconds it took to answer.
  type: dict
  returned: success
not_ready:
  description: The instances that did not answer 200 in time, with the last answer or error of each.
  type: dict
  returned: failure
"""

import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def restarts(unit: str) -> int | None:
    """How often systemd restarted the unit on its own (NRestarts), None when unknown."""
    try:
        done = subprocess.run(["systemctl", "show", "--property", "NRestarts", "--value", unit],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return int(done.stdout.strip()) if done.stdout.strip().isdigit() else None


def ask(url: str, token: str | None, timeout: float = 2.0) -> tuple[bool, str]:
    """Whether ``url`` answers 200, and what it answered otherwise. Never follows a redirect
    to a login page: only a 200 for this very URL counts."""
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as reply:
            return reply.status == 200 and reply.geturl() == url, f"HTTP {reply.status}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return False, str(getattr(error, "reason", error))


def wait(instances: list[dict], timeout: float, interval: float) -> tuple[dict[str, float], dict[str, str]]:
    """Seconds each instance took to answer, and the last answer of those that did not."""
    began = time.monotonic()
    pending = {i["name"]: i for i in instances}
    seconds: dict[str, float] = {}
    last: dict[str, str] = {}
    baseline = {name: restarts(i["unit"]) for name, i in pending.items() if i.get("unit")}
    given_up: dict[str, str] = {}
    watched = began
    while pending:
        for name, instance in list(pending.items()):
            ok, last[name] = ask(instance["url"], instance.get("token"))
            if ok:
                seconds[name] = round(time.monotonic() - began, 2)
                del pending[name]
        if time.monotonic() - watched >= 1:
            watched = time.monotonic()
            for name in [n for n in pending if baseline.get(n) is not None]:
                now = restarts(pending[name]["unit"])
                if now is not None and now > baseline[name]:
                    given_up[name] = f"{last[name]}; systemd restarted {pending[name]['unit']}: it does not stay up"
                    del pending[name]
        if not pending or time.monotonic() - began >= timeout:
            break
        time.sleep(interval)
    return seconds, {**given_up, **{name: last[name] for name in pending}}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "instances": {"type": "list", "elements": "dict", "required": True,
                          "options": {"name": {"type": "str", "required": True},
                                      "url": {"type": "str", "required": True},
                                      "token": {"type": "str", "no_log": True},
                                      "unit": {"type": "str"}}},
            "timeout": {"type": "int", "default": 180},
            "interval": {"type": "float", "default": 0.25},
        },
        supports_check_mode=True,
    )
    if module.check_mode:
        module.exit_json(changed=False, seconds={})
    seconds, not_ready = wait(module.params["instances"], module.params["timeout"], module.params["interval"])
    if not_ready:
        module.fail_json(msg=f"{', '.join(sorted(not_ready))} did not answer (waited at most {module.params['timeout']} s)",
                         not_ready=not_ready, seconds=seconds)
    module.exit_json(changed=False, seconds=seconds)


if __name__ == "__main__":
    main()
