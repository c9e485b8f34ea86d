"""The container host after site.yml: the Docker engine and the two students' Jupyter
instances, each answering with its own authentication and keeping what is written to it;
nothing of the hypervisor play landed here."""

import json

import pytest
from labforge_jupyter import container

testinfra_hosts = ["ansible://jupyter_hosts"]

ADA_URL, GRACE_URL = "http://127.0.0.1:8888/", "http://127.0.0.1:8890/"
ADA_TOKEN, GRACE_PASSWORD = "ada-token-0123456789abcdef", "grace-password-123"


def test_docker_engine_runs_hardened(host):
    docker = host.service("docker")
    assert docker.is_running and docker.is_enabled
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon["live-restore"] is True and daemon["no-new-privileges"] is True


@pytest.mark.parametrize("name", ["ada", "grace"])
def test_each_student_has_an_enabled_running_instance(host, name):
    unit = host.service(f"labforge-jupyter@{name}.service")
    assert unit.is_running and unit.is_enabled
    assert container(host, name)["State"]["Running"]


def test_token_instance_answers_with_its_token_only(client):
    assert client("wait", ADA_URL, "60", token=ADA_TOKEN) == ["200"]
    assert client("status", ADA_URL) == ["403"]


def test_password_instance_answers_after_login_only(client):
    assert client("wait", GRACE_URL, "60", "403") == ["403"]  # up, and refusing without a login
    assert client("login", GRACE_URL, password=GRACE_PASSWORD) == ["200"]


@pytest.mark.parametrize("path", ["site-check.ipynb", "work/site-check.ipynb"], ids=["jupyterlab-root", "work"])
def test_a_notebook_written_through_the_api_lands_in_the_volume(host, client, path):
    """The volume is the whole home: JupyterLab's root, where it saves by default, and work/."""
    assert client("put-notebook", ADA_URL, path, "written by the default scenario", token=ADA_TOKEN) == ["201"]
    status, *body = client("get", ADA_URL, f"api/contents/{path}", token=ADA_TOKEN)
    assert status == "200" and "written by the default scenario" in "".join(body)
    volume = json.loads(host.check_output("docker volume inspect jupyter-ada"))[0]["Mountpoint"]
    assert "written by the default scenario" in host.file(f"{volume}/{path}").content_string


def test_state_records_both_instances_pinned_by_digest(host):
    state = json.loads(host.file("/etc/labforge/jupyter/state.json").content_string)
    assert set(state["images"]) == {"ada", "grace"}
    assert all("@sha256:" in image["runs"] for image in state["images"].values())


def test_no_hypervisor_on_the_container_host(host):
    assert not host.package("libvirt-daemon-system").is_installed
