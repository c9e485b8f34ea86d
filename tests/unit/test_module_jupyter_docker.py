"""The jupyter role's jupyter_docker module; its work against a real engine is in molecule/jupyter."""

from modules import run


def test_without_the_docker_cli_it_fails_saying_so(tmp_path):
    result = run("jupyter_docker", tmp_path, docker=str(tmp_path / "docker"), images=["x:1"])
    assert result["failed"] and result["msg"] == f"the Docker CLI {tmp_path / 'docker'} is not installed"
