"""SwarmSpawner for a labforge lab: each user's whole home is a named volume, kept on one node.

SwarmSpawner turns its `volumes` option into bind mounts. Here the home is a `volume` mount
instead, and since a named volume lives on the node that created it, the user is pinned to
that node: the swarm's own scheduler places the first spawn (on the node with the fewest
tasks, within the operator's constraints), the node's hostname and the volume's name are
written to HOMES_DIR/<user name> (JSON), and every later spawn carries the constraint
node.hostname==<that node>.
The file lives in the hub's data directory, so the pin survives hub restarts and upgrades;
playbooks/move_home.yml rewrites it after copying the home to another node.

When a user is deleted, their pin moves to RETIRED_DIR/<user name>/, and the volume stays for
the operator. A new account of that name gets a volume of its own (`<prefix><name>.2`, ...):
it never inherits the deleted user's files.
"""

import asyncio
import json
from pathlib import Path

from datetime import datetime, timezone

from docker.types import ConfigReference, Healthcheck, Mount, Resources, RestartPolicy
from dockerspawner import SwarmSpawner
from traitlets import Integer, List, Unicode

USER_LABEL = "org.labforge.hub.user"
# Task states in which the swarm is still bringing the server up, or runs it.
LIVE_STATES = {"new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running"}


class LabSwarmSpawner(SwarmSpawner):
    home_volume_prefix = Unicode("labforge-home-", config=True, help="Name prefix of the home volumes.")
    home_dir = Unicode("/home/jovyan", config=True, help="Where the home volume is mounted.")
    homes_dir = Unicode(
        "/srv/jupyterhub/homes", config=True, help="One file per user naming the node their home is on."
    )
    retired_dir = Unicode(
        "/srv/jupyterhub/retired-homes", config=True, help="The pins of deleted users, one directory per name."
    )
    pids_limit = Integer(0, config=True, help="Processes and threads a server may run; 0 for no limit.")
    cap_drop = List(Unicode(), config=True, help="Capabilities the server's container drops, e.g. ALL.")
    node_constraints = List(
        Unicode(), config=True, help="Swarm placement constraints for a user's first spawn."
    )
    page_config = List(
        Unicode(), config=True,
        help="[ID, name] of the swarm config holding JupyterLab's page_config.json; empty for none.",
    )
    page_config_file = Unicode(
        "/etc/labforge-jupyter/labconfig/page_config.json", config=True,
        help="Where the page config lands in the server (a labconfig directory on JUPYTER_CONFIG_PATH).",
    )

    @property
    def pin_file(self):
        return Path(self.homes_dir) / self.user.name  # hub user names hold no "/"

    def read_pin(self):
        """{node, volume} of this user's home, or None before the first spawn."""
        try:
            return json.loads(self.pin_file.read_text())
        except FileNotFoundError:
            return None

    def home_node(self):
        """The hostname of the node that holds this user's home, or None before the first spawn."""
        return (self.read_pin() or {}).get("node")

    @property
    def home_volume(self):
        pin = self.read_pin()
        if pin:
            return pin.get("volume") or self.home_volume_prefix + self.escaped_name
        retired = Path(self.retired_dir) / self.user.name
        earlier = len(list(retired.iterdir())) if retired.is_dir() else 0
        name = self.home_volume_prefix + self.escaped_name
        return f"{name}.{earlier + 1}" if earlier else name

    @property
    def mounts(self):
        home = Mount(target=self.home_dir, source=self.home_volume, type="volume")
        return [home] + super().mounts

    def delete_forever(self):
        """The user is deleted: retire the pin, so that a new account of the name starts empty."""
        pin = self.read_pin()
        if pin is None:
            return
        retired = Path(self.retired_dir) / self.user.name
        retired.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.pin_file.replace(retired / f"{stamp}.json")
        self.log.warning(
            "labforge: %s was deleted; their home stays in the volume %s on node %s (the pin is in %s)",
            self.user.name, pin.get("volume"), pin.get("node"), retired,
        )

    async def check_home_node(self, hostname):
        """Fail at once, with a message the user can pass on, when the home's node cannot run tasks."""
        nodes = await self.docker("nodes", filters={"name": hostname})
        node = next((n for n in nodes if n["Description"]["Hostname"] == hostname), None)
        if node is None:
            state = "no longer in the swarm"
        elif node["Status"]["State"] != "ready":
            state = f"{node['Status']['State']}"
        elif node["Spec"]["Availability"] != "active":
            state = f"{node['Spec']['Availability']}"
        else:
            return
        raise RuntimeError(
            f"The home of {self.user.name} is on the node {hostname}, which is {state}. "
            "An administrator can bring the node back, or move the home with playbooks/move_home.yml."
        )

    async def start(self):
        pinned = self.home_node()
        if pinned:
            await self.check_home_node(pinned)
            constraints = [f"node.hostname=={pinned}"]
        else:
            constraints = list(self.node_constraints)
        self.extra_placement_spec = {**self.extra_placement_spec, "constraints": constraints or None}
        # A server that fails is started again, on its node, a few times; one that exits
        # cleanly (File > Shut Down) stays stopped.
        self.extra_task_spec = {
            **self.extra_task_spec,
            "restart_policy": RestartPolicy(condition="on-failure", delay=5_000_000_000, max_attempts=5),
        }
        # The hub waits for the server to answer over HTTP. The image's own HEALTHCHECK would
        # hold the task in "starting", and docker-stacks' check reads the server's runtime file
        # in the home, where a file left by a server that crashed points at a dead address:
        # the swarm would kill every new server of that user as unhealthy.
        self.extra_container_spec = {**self.extra_container_spec, "healthcheck": Healthcheck(test=["NONE"])}
        if self.cap_drop:
            self.extra_container_spec["cap_drop"] = list(self.cap_drop)
        # SwarmSpawner's resources, plus a pids limit, which docker-py's Resources has no name for.
        resources = Resources(
            mem_limit=self.mem_limit,
            mem_reservation=self.mem_guarantee,
            cpu_limit=int(self.cpu_limit * 1e9) if self.cpu_limit else None,
            cpu_reservation=int(self.cpu_guarantee * 1e9) if self.cpu_guarantee else None,
        )
        if self.pids_limit:
            resources.setdefault("Limits", {})["Pids"] = self.pids_limit
        self.extra_task_spec["resources"] = resources
        if self.page_config:
            config_id, config_name = self.page_config
            self.extra_container_spec["configs"] = [
                ConfigReference(config_id, config_name, filename=self.page_config_file, mode=0o444)
            ]
        self.extra_create_kwargs = {
            **self.extra_create_kwargs,
            "labels": {USER_LABEL: self.user.name},
        }
        started = await super().start()
        if not pinned:
            await self.pin_to_current_node()
        return started

    async def start_object(self):
        """Wait until the swarm runs the server's task. SwarmSpawner looks every 1 to 11 s;
        every 0.25 s here takes about a second off each spawn (make bench --measures hub)."""
        while True:
            task = await self.get_task()
            if task is None:
                raise RuntimeError(f"Service {self.service_name} not found")
            state = task["Status"]["State"]
            if state == "running":
                return
            if state not in LIVE_STATES | {"rejected"}:  # a rejected task is replaced by the swarm
                raise RuntimeError(f"Service {self.service_name} not running: {task['Status']}")
            await asyncio.sleep(0.25)  # the hub bounds the whole spawn by start_timeout

    async def remove_object(self):
        """Remove the service, then wait (30 s at most) until its container has stopped: the
        user's next server mounts the same home and must not start beside the old one."""
        service_id = self.object_id
        await super().remove_object()
        for _ in range(30):
            tasks = await self.docker("tasks", filters={"name": self.service_name})
            if not any(t["ServiceID"] == service_id and t["Status"]["State"] in LIVE_STATES for t in tasks):
                return
            await asyncio.sleep(1)
        self.log.warning("The removed server of %s has not stopped after 30 s", self.user.name)

    async def service_tasks(self, **filters):
        """The tasks of this server's service, newest first. By service ID, not name: the tasks
        of a service removed a moment ago (the server stopped just before) match its name too."""
        tasks = await self.docker("tasks", filters={"service": self.object_id, **filters})
        tasks = [t for t in tasks if t["ServiceID"] == self.object_id]
        return sorted(tasks, key=lambda t: t["UpdatedAt"], reverse=True)

    async def get_task(self):
        if await self.get_object() is None:
            return None
        tasks = await self.service_tasks(**{"desired-state": "running"}) or await self.service_tasks()
        return tasks[0] if tasks else None

    async def poll(self):
        """Running while the swarm runs the service or is bringing a task of it up: after a
        node's restart, or between a failure and the swarm's restart of the task, SwarmSpawner
        alone would call the server stopped, and the hub would forget a service that the swarm
        then starts again. A service the hub sees as stopped is removed, so that nothing runs
        on with the user's home."""
        if await self.get_object() is None:
            return 0
        tasks = await self.service_tasks()
        if not tasks:
            return None  # created a moment ago: the swarm has not made its task yet
        live = [t for t in tasks if t["DesiredState"] in ("running", "ready") and t["Status"]["State"] in LIVE_STATES]
        if live:
            return None
        latest = tasks[0]
        self.log.warning("Server of %s stopped (%s); removing its service", self.user.name, latest["Status"])
        await self.remove_object()
        return str(latest["Status"].get("Err") or latest["Status"]["State"])

    async def pin_to_current_node(self):
        task = await self.get_task()
        node = await self.docker("inspect_node", task["NodeID"])
        hostname = node["Description"]["Hostname"]
        self.pin_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging = self.pin_file.parent / (self.pin_file.name + ".new")
        staging.write_text(json.dumps({"node": hostname, "volume": self.home_volume}) + "\n")
        staging.replace(self.pin_file)
        self.log.info("The home of %s is on node %s from now on", self.user.name, hostname)
