"""What the jupyter role writes for a checked instance: its server config, its token and
the exact image it runs."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, got
    from .image_ref import parse_image_ref
    from .jupyter_instances import MIN_TOKEN, VARIABLE
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass


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


def jupyter_server_config(instance: object, tokens: object) -> dict[str, Any]:
    """The jupyter_server settings file of an instance: its base_url and either its token or
    its password hash (then no token is accepted)."""
    if not isinstance(instance, Mapping) or not isinstance(tokens, Mapping):
        raise LabforgeFilterError("expected a checked instance and the tokens mapping")
    config: dict[str, Any] = {"ServerApp": {"base_url": instance["base_url"]}}
    if instance["auth"] == "password":
        config["IdentityProvider"] = {"token": ""}
        config["PasswordIdentityProvider"] = {
            "hashed_password": instance["password_hash"],
            "password_required": True,
        }
    else:
        config["IdentityProvider"] = {"token": tokens[instance["name"]]}
    return config


def jupyter_image_digest_ref(images: object, image: object) -> str:
    """The reference a unit runs: the pulled image pinned by its registry digest, or by
    its image ID when it has none (built locally), or the name as given when the image is
    not there yet (check mode). ``images`` is docker_image_info's ``images``; ``image`` the
    instance's parsed image."""
    if not isinstance(image, Mapping):
        raise LabforgeFilterError(f"expected a parsed image reference, got {got(image)}")
    repo = f"{image['registry']}/{image['repository']}"
    for info in images if isinstance(images, list) else []:
        tags = [parse_image_ref(tag).name for tag in info.get("RepoTags") or []]
        digests = [parse_image_ref(ref) for ref in info.get("RepoDigests") or []]
        matches_digest = image.get("digest") and any(d.digest == image["digest"] for d in digests)
        if image["name"] not in tags and not matches_digest:
            continue
        for ref in digests:
            if f"{ref.registry}/{ref.repository}" == repo:
                return f"{repo}@{ref.digest}"
        return str(info["Id"])
    return str(image["name"])


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
