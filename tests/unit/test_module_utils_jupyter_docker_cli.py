"""The project's module_utils (used by the jupyter modules): reading what `docker ... inspect` prints."""

from modules import load


def test_inspect_output_is_read_even_when_some_names_are_missing():
    load("jupyter_docker")  # puts the project's module_utils under ansible.module_utils
    from ansible.module_utils.jupyter_docker_cli import inspected

    assert inspected('[\n {"Name": "v1"}, "junk"\n]\n') == [{"Name": "v1"}]
    assert inspected("[]\n") == [] and inspected("") == [] and inspected("[oops") == []
    assert inspected('Error: No such image: x\n[{"Id": "sha256:1"}]') == [{"Id": "sha256:1"}]
