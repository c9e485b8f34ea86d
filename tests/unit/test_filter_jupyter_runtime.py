"""jupyter_instance_tokens, jupyter_server_config, jupyter_image_digest_ref."""

import base64

import pytest
from jupyter_server.auth.security import passwd_check

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.image_ref import docker_image_ref
from labforge_filters.jupyter_instances import jupyter_instances_check
from labforge_filters.jupyter_runtime import jupyter_image_digest_ref, jupyter_instance_tokens, jupyter_server_config

DEFAULTS = {"image": "127.0.0.1:5000/labforge/jupyter-test:1", "bind_address": "127.0.0.1", "memory": "1g",
            "cpus": 1, "pids_limit": 256, "ui": "lab", "base_url": "/", "port_range": [8888, 8999]}
TOKEN = "token-of-sixteen-chars"
DIGEST = "sha256:" + "a" * 64


def instances():
    return jupyter_instances_check(
        [
            {"name": "tok", "token": TOKEN, "base_url": "/tok/"},
            {"name": "file", "token_file": "/etc/secret"},
            {"name": "pw", "password": "pa55word-x"},
            {"name": "v6", "token": TOKEN, "bind_address": "::"},
        ],
        DEFAULTS,
    )


def slurped(name, text):
    return {"item": {"name": name}, "content": base64.b64encode(text.encode()).decode()}


def test_tokens_come_from_instances_and_token_files():
    assert jupyter_instance_tokens(instances(), [slurped("file", "from-file-token-123\n")]) == {
        "tok": TOKEN, "file": "from-file-token-123", "v6": TOKEN}


def test_a_token_file_without_a_usable_token_fails_naming_the_instance():
    with pytest.raises(LabforgeFilterError, match=r"jupyter_instances\[file\]: token_file /etc/secret must hold"):
        jupyter_instance_tokens(instances(), [slurped("file", "short")])


def test_server_config_for_token_and_password_instances():
    checked = instances()
    tokens = jupyter_instance_tokens(checked, [slurped("file", "from-file-token-123")])
    assert jupyter_server_config(checked[0], tokens) == {
        "ServerApp": {"base_url": "/tok/"}, "IdentityProvider": {"token": TOKEN}}
    password = jupyter_server_config(checked[2], tokens)
    assert password["IdentityProvider"] == {"token": ""}
    assert password["PasswordIdentityProvider"]["password_required"] is True
    assert passwd_check(password["PasswordIdentityProvider"]["hashed_password"], "pa55word-x")


def test_urls_and_publish_specs_reach_wildcard_binds_on_loopback():
    checked = instances()
    assert checked[0]["url"] == "http://127.0.0.1:8890/tok/" and checked[0]["publish"] == "127.0.0.1:8890:8888"
    assert checked[3]["url"] == "http://[::1]:8891/" and checked[3]["publish"] == "[::]:8891:8888"


def test_image_runs_by_registry_digest():
    image = docker_image_ref("127.0.0.1:5000/labforge/jupyter-test:1")
    info = [
        {"Id": "sha256:" + "b" * 64, "RepoTags": ["other:1"], "RepoDigests": []},
        {"Id": "sha256:" + "c" * 64, "RepoTags": ["127.0.0.1:5000/labforge/jupyter-test:1"],
         "RepoDigests": [f"127.0.0.1:5000/labforge/jupyter-test@{DIGEST}"]},
    ]
    assert jupyter_image_digest_ref(info, image) == f"127.0.0.1:5000/labforge/jupyter-test@{DIGEST}"


def test_docker_hub_familiar_tags_match_and_local_images_run_by_id():
    image = docker_image_ref("jupyter/base-notebook:2024-01-01")
    info = [{"Id": "sha256:" + "d" * 64, "RepoTags": ["jupyter/base-notebook:2024-01-01"], "RepoDigests": []}]
    assert jupyter_image_digest_ref(info, image) == "sha256:" + "d" * 64


def test_missing_image_runs_by_name():
    image = docker_image_ref("quay.io/jupyter/minimal-notebook:2025-10-20")
    assert jupyter_image_digest_ref([], image) == "quay.io/jupyter/minimal-notebook:2025-10-20"


def test_deployed_names_what_each_instance_runs():
    from labforge_filters.jupyter_runtime import jupyter_deployed

    checked = jupyter_instances_check([{"name": "a", "token": TOKEN}, {"name": "gone", "state": "absent"}], DEFAULTS)
    info = [{"Id": "sha256:" + "c" * 64, "RepoTags": ["127.0.0.1:5000/labforge/jupyter-test:1"],
             "RepoDigests": [f"127.0.0.1:5000/labforge/jupyter-test@{DIGEST}"]}]
    assert jupyter_deployed(checked, info) == {
        "a": {"image": "127.0.0.1:5000/labforge/jupyter-test:1", "runs": f"127.0.0.1:5000/labforge/jupyter-test@{DIGEST}"}}
