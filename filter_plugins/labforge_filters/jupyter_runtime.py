"""What the jupyter role works out for its checked instances: tokens, the exact image each runs,
storage, what to pull and create, where their files go, readiness checks and unit states. The
files' contents come from the role's templates (instance_settings.j2)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, got
    from .image_ref import parse_image_ref
    from .jupyter_instances import MIN_TOKEN, NAME, VARIABLE
    from .systemd import systemd_escape
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

# The docker-stacks user's home: where JupyterLab opens and saves by default.
HOME = "/home/jovyan"


def jupyter_instance_tokens(instances: object, token_file_results: object = None) -> dict[str, str]:
    """Instance name to token, for token instances and token-file instances (from the
    results of a slurp loop over them). A token file must hold a usable token."""
    if not isinstance(instances, list):
        raise LabforgeFilterError(f"expected the checked instances, got {got(instances)}")
    from_files: dict[str, str] = {}
    for result in token_file_results if isinstance(token_file_results, list) else []:
        if isinstance(result, Mapping) and "content" in result:
            from_files[result["item"]["name"]] = base64.b64decode(result["content"]).decode("utf-8").strip()
    tokens: dict[str, str] = {}
    for instance in instances:
        if instance.get("auth") == "token":
            tokens[instance["name"]] = instance["token"]
        elif instance.get("auth") == "token_file":
            token = from_files.get(instance["name"], "")
            if len(token) < MIN_TOKEN or not token.isprintable() or " " in token:
                raise LabforgeFilterError(
                    f"{VARIABLE}[{instance['name']}]: token_file {instance['token_file']} must hold one token of "
                    f"at least {MIN_TOKEN} printable characters without spaces"
                )
            tokens[instance["name"]] = token
    return tokens


def _find_image(images: object, image: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The inspected image (docker image inspect / docker_image_info) that ``image`` names."""
    for info in images if isinstance(images, list) else []:
        if not isinstance(info, Mapping):
            continue
        tags = [parse_image_ref(tag).name for tag in info.get("RepoTags") or []]
        digests = [parse_image_ref(ref) for ref in info.get("RepoDigests") or []]
        matches_digest = image.get("digest") and any(d.digest == image["digest"] for d in digests)
        if image["name"] in tags or matches_digest:
            return info
    return None


def jupyter_image_digest_ref(images: object, image: object) -> str:
    """The reference a unit runs: the pulled image pinned by its registry digest, or by
    its image ID when it has none (built locally), or the name as given when the image is
    not there yet (check mode). ``images`` is a list of inspected images; ``image`` the
    instance's parsed image."""
    if not isinstance(image, Mapping):
        raise LabforgeFilterError(f"expected a parsed image reference, got {got(image)}")
    info = _find_image(images, image)
    if info is None:
        return str(image["name"])
    repo = f"{image['registry']}/{image['repository']}"
    for ref in (parse_image_ref(r) for r in info.get("RepoDigests") or []):
        if f"{ref.registry}/{ref.repository}" == repo:
            return f"{repo}@{ref.digest}"
    return str(info["Id"])


def jupyter_images_missing(images: object, instances: object) -> list[str]:
    """The image names of ``instances`` (checked) that no image in ``images`` (inspected) is,
    each once, in order: what a pull with the policy ``missing`` has to fetch."""
    if not isinstance(instances, list):
        raise LabforgeFilterError(f"expected the checked instances, got {got(instances)}")
    missing: list[str] = []
    for instance in instances:
        image = instance.get("image") if isinstance(instance, Mapping) else None
        if isinstance(image, Mapping) and _find_image(images, image) is None and image["name"] not in missing:
            missing.append(image["name"])
    return missing


def jupyter_instances_storage(instances: object, previous: object) -> list[dict[str, Any]]:
    """The instances (checked) with where their storage is mounted, from the record of the last
    run (``previous``: its ``ports`` and ``layouts``).

    An instance's volume holds its whole home, ``/home/jovyan``: layout ``home``. An instance
    that an earlier release deployed (in the record's ports, without a layout) kept its
    notebooks in a volume mounted at ``/home/jovyan/work``; it keeps that volume where it was,
    and the rest of its home goes to a named volume of its own, ``jupyter-NAME-home``: layout
    ``work``. Nothing is moved from one volume to another, so no file can be lost on the way."""
    if not isinstance(instances, list):
        raise LabforgeFilterError(f"expected the checked instances, got {got(instances)}")
    record = previous if isinstance(previous, Mapping) else {}
    deployed = record.get("ports") if isinstance(record.get("ports"), Mapping) else {}
    layouts = record.get("layouts") if isinstance(record.get("layouts"), Mapping) else {}
    result = []
    for instance in instances:
        name, volume = instance["name"], instance["volume"]
        legacy = layouts.get(name) == "work" or (name in deployed and name not in layouts)
        if not legacy:
            mounts = [{**volume, "target": HOME}]
        else:
            home = f"jupyter-{name}-home"
            if volume == {"type": "volume", "source": home}:
                raise LabforgeFilterError(
                    f"{VARIABLE}[{name}]: volume {home} is the name labforge gives this instance's home volume "
                    f"(its notebooks are mounted at {HOME}/work since an earlier release); choose another volume name"
                )
            mounts = [{"type": "volume", "source": home, "target": HOME}, {**volume, "target": f"{HOME}/work"}]
        result.append({**instance, "layout": "work" if legacy else "home", "mounts": mounts})
    return result


def jupyter_volumes_missing(volumes: object, instances: object) -> list[dict[str, Any]]:
    """The named volumes that the mounts of ``instances`` (with their storage) name and
    ``volumes`` (inspected) lack, for the jupyter_docker module: each once, labelled with the
    first instance that uses it."""
    if not isinstance(instances, list):
        raise LabforgeFilterError(f"expected the checked instances, got {got(instances)}")
    existing = {v.get("Name") for v in volumes if isinstance(v, Mapping)} if isinstance(volumes, list) else set()
    missing: dict[str, dict[str, Any]] = {}
    for instance in instances:
        for mount in instance.get("mounts", []) if isinstance(instance, Mapping) else []:
            if mount.get("type") == "volume" and mount["source"] not in existing and mount["source"] not in missing:
                missing[mount["source"]] = {"name": mount["source"],
                                            "labels": {"org.labforge.instance": instance["name"]}}
    return list(missing.values())


def jupyter_host_queries(instances: object, default_image: object) -> dict[str, list[str]]:
    """What jupyter_host_info reads for ``jupyter_instances`` as given, before they are checked:
    the images and volumes of the instances that are not absent, every instance's unit, the
    instances with a password and the token files. Entries too malformed to name anything are
    skipped, for jupyter_instances_check to report."""
    queries: dict[str, list[str]] = {"images": [], "volumes": [], "units": [], "password_instances": [],
                                     "token_files": [], "paths": []}

    def add(kind: str, value: str) -> None:
        if value not in queries[kind]:
            queries[kind].append(value)

    for item in instances if isinstance(instances, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not NAME.fullmatch(item["name"]):
            continue
        name = item["name"]
        add("units", f"labforge-jupyter@{systemd_escape(name)}.service")
        if "password" in item:
            add("password_instances", name)
        if isinstance(item.get("token_file"), str):
            add("token_files", item["token_file"])
        if item.get("state") == "absent":
            continue
        image, volume = item.get("image", default_image), item.get("volume", f"jupyter-{name}")
        if isinstance(image, str) and image:
            add("images", image)
        if isinstance(volume, str) and volume and not volume.startswith("/"):
            add("volumes", volume)
        elif isinstance(volume, str) and volume.startswith("/"):
            add("paths", volume)
    return queries


SETTINGS_FILES = ("instance.env", "container.env", "jupyter_server_config.json")


def jupyter_instance_files(
    instances: object,
    settings: object,
    volumes: object,
    config_dir: object,
    uid: object,
    gid: object,
) -> dict[str, list[dict[str, Any]]]:
    """Where and how the role writes its running instances' files, for the labforge_files module.

    ``settings`` holds each instance's files as the role's templates render them
    (instance_settings.j2: name to instance.env, container.env and jupyter_server_config.json).
    For each instance: its directory under ``config_dir``, root's only; its unit settings and
    its extra environment; its server config, a secret owned by root and readable by the group
    ``gid`` that the container runs as (no other user of the host can reach it through the
    directory); and the top of each host directory it mounts, and of a named volume mounted at
    work/, owned by ``uid``:``gid`` with setgid (the volume's mountpoint from ``volumes``, the
    inspected volumes; one not created yet is left out). Each instance's settings carry its name
    as ``key``, so the module says which changed; the storage does not, since its owner changing
    is no reason to restart the instance."""
    if not isinstance(instances, list) or not isinstance(settings, Mapping):
        raise LabforgeFilterError("expected the checked instances and the rendered settings")
    if not isinstance(config_dir, str) or not config_dir.startswith("/"):
        raise LabforgeFilterError(f"expected an absolute config directory, got {got(config_dir)}")
    mountpoints = {v.get("Name"): v.get("Mountpoint") for v in volumes if isinstance(v, Mapping)} \
        if isinstance(volumes, list) else {}
    out: dict[str, list[dict[str, Any]]] = {
        "directories": [{"path": config_dir, "owner": "root", "group": "root", "mode": "0755"}],
        "files": [],
        "secret_files": [],
    }
    for instance in instances:
        name, where = instance["name"], f"{config_dir}/{instance['name']}"
        rendered = settings.get(name)
        if not isinstance(rendered, Mapping) or any(not isinstance(rendered.get(f), str) for f in SETTINGS_FILES):
            raise LabforgeFilterError(f"expected the rendered {', '.join(SETTINGS_FILES)} of instance {name}")
        out["directories"].append({"path": where, "owner": "root", "group": "root", "mode": "0700", "key": name})
        for mount in instance["mounts"]:
            # A named volume mounted as the home gets the image's home (files, owner and mode)
            # from Docker when it is first mounted; a mode set here would be undone by it.
            if mount["type"] == "volume" and mount["target"] == HOME:
                continue
            storage = mount["source"] if mount["type"] == "path" else mountpoints.get(mount["source"])
            if storage:
                out["directories"].append({"path": storage, "owner": str(uid), "group": str(gid), "mode": "2775"})
        # Each replaced version is kept, for the rollback of a start that fails (tasks/rollback.yml).
        out["files"] += [
            {"path": f"{where}/{file}", "content": rendered[file], "owner": "root", "group": "root",
             "mode": "0644", "key": name, "keep_previous": True}
            for file in SETTINGS_FILES[:2]
        ]
        out["secret_files"].append({"path": f"{where}/{SETTINGS_FILES[2]}", "content": rendered[SETTINGS_FILES[2]],
                                    "owner": "root", "group": str(gid), "mode": "0640", "key": name,
                                    "keep_previous": True})
    return out


def jupyter_ready_checks(instances: object, tokens: object) -> list[dict[str, str]]:
    """What the jupyter_ready module asks each instance: its /api/status with its token, or /api
    for an instance with a password (it answers that without logging in), and which unit to watch."""
    if not isinstance(instances, list) or not isinstance(tokens, Mapping):
        raise LabforgeFilterError("expected the checked instances and the tokens mapping")
    checks = []
    for instance in instances:
        check = {"name": instance["name"], "unit": instance["unit"]}
        if instance["auth"] == "password":
            checks.append({**check, "url": f"{instance['url']}api"})
        else:
            checks.append({**check, "url": f"{instance['url']}api/status", "token": tokens[instance["name"]]})
    return checks


def jupyter_unit_states(instances: object, changed: object, as_wanted: object,
                        check_mode: bool = False) -> list[dict[str, Any]]:
    """What the labforge_units module brings each instance's unit to, in one call.

    A running instance whose settings changed is restarted (a restart also starts a stopped
    unit); another running instance is started unless its unit is in ``as_wanted`` (active and
    enabled when the role read the host); a stopped or absent instance is stopped and disabled.
    In check mode an instance whose settings would change is left out: its unit is not written yet."""
    if not isinstance(instances, list) or not isinstance(changed, list) or not isinstance(as_wanted, list):
        raise LabforgeFilterError("expected the checked instances, the changed instance names and the unit names")
    states = []
    for instance in instances:
        name, unit = instance["name"], instance["unit"]
        if check_mode and name in changed:
            continue
        if instance["state"] in ("stopped", "absent"):
            states.append({"name": unit, "state": "stopped", "enabled": False})
        elif name in changed:
            states.append({"name": unit, "state": "restarted", "enabled": True})
        elif unit not in as_wanted:
            states.append({"name": unit, "state": "started", "enabled": True})
    return states


def jupyter_deployed(instances: object, images: object) -> dict[str, dict[str, str]]:
    """Instance name to the image it asks for and the exact reference it runs."""
    if not isinstance(instances, list):
        raise LabforgeFilterError(f"expected the checked instances, got {got(instances)}")
    return {
        i["name"]: {"image": i["image"]["name"], "runs": jupyter_image_digest_ref(images, i["image"])}
        for i in instances
        if "image" in i
    }


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
