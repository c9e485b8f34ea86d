"""jupyter_instance_tokens, jupyter_image_digest_ref and the files and images filters. The files'
contents are the templates' (test_jupyter_templates.py)."""

import base64

import pytest
from jupyter_server.auth.security import passwd_check

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.image_ref import docker_image_ref
from labforge_filters.jupyter_instances import jupyter_instances_check
from labforge_filters.jupyter_runtime import (
    jupyter_image_digest_ref,
    jupyter_instance_tokens,
    jupyter_instances_storage,
)

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


INFO_1 = {"Id": "sha256:" + "c" * 64, "RepoTags": ["127.0.0.1:5000/labforge/jupyter-test:1"],
          "RepoDigests": [f"127.0.0.1:5000/labforge/jupyter-test@{DIGEST}"]}


def test_images_missing_are_those_no_inspected_image_is_each_once():
    from labforge_filters.jupyter_runtime import jupyter_images_missing

    checked = jupyter_instances_check(
        [{"name": "a", "token": TOKEN}, {"name": "b", "token": TOKEN, "image": "quay.io/jupyter/base-notebook:x"},
         {"name": "c", "token": TOKEN, "image": "quay.io/jupyter/base-notebook:x"}], DEFAULTS)
    assert jupyter_images_missing([INFO_1], checked) == ["quay.io/jupyter/base-notebook:x"]
    assert jupyter_images_missing([], checked) == ["127.0.0.1:5000/labforge/jupyter-test:1",
                                                   "quay.io/jupyter/base-notebook:x"]
    with pytest.raises(LabforgeFilterError, match="checked instances"):
        jupyter_images_missing([], "not a list")


def test_an_image_named_by_digest_is_found_by_its_digest():
    from labforge_filters.jupyter_runtime import jupyter_images_missing

    checked = jupyter_instances_check(
        [{"name": "a", "token": TOKEN, "image": f"127.0.0.1:5000/labforge/jupyter-test@{DIGEST}"}], DEFAULTS)
    assert jupyter_images_missing([INFO_1], checked) == []


def test_host_queries_come_from_the_instances_as_given_skipping_what_is_malformed():
    from labforge_filters.jupyter_runtime import jupyter_host_queries

    given = [{"name": "a"}, {"name": "b-2", "image": "x:1", "volume": "/srv/b", "password": "pw"},
             "junk", {"name": "Bad Name"}, {"name": "c", "image": 7, "volume": "shared", "token_file": "/t"},
             {"name": "d", "image": "gone:1", "state": "absent"}, {"name": "e", "image": "x:1", "volume": "shared"}]
    assert jupyter_host_queries(given, "default:1") == {
        "images": ["default:1", "x:1"],
        "volumes": ["jupyter-a", "shared"],
        "units": ["labforge-jupyter@a.service", "labforge-jupyter@b\\x2d2.service", "labforge-jupyter@c.service",
                  "labforge-jupyter@d.service", "labforge-jupyter@e.service"],
        "password_instances": ["b-2"],
        "token_files": ["/t"],
        "paths": ["/srv/b"],
    }
    assert jupyter_host_queries("not a list", "default:1")["images"] == []


def rendered(*names):
    """Settings as instance_settings.j2 renders them (their contents: test_jupyter_templates.py)."""
    return {name: {"instance.env": f"env of {name}\n", "container.env": "",
                   "jupyter_server_config.json": f'{{"token": "{TOKEN}"}}\n'} for name in names}


def test_instance_files_place_the_settings_and_keep_the_server_config_secret():
    from labforge_filters.jupyter_runtime import jupyter_instance_files

    checked = jupyter_instances_storage(jupyter_instances_check([{"name": "a", "token": TOKEN}], DEFAULTS), {})
    volumes = [{"Name": "jupyter-a", "Mountpoint": "/var/lib/docker/volumes/jupyter-a/_data"}, "junk"]
    layout = jupyter_instance_files(checked, rendered("a"), volumes, "/etc/lab", 1000, 100)
    # The named home volume is left to Docker, which gives it the image's home when first mounted.
    assert [d["path"] for d in layout["directories"]] == ["/etc/lab", "/etc/lab/a"]
    assert layout["directories"][1]["key"] == "a" and "key" not in layout["directories"][0]
    assert layout["directories"][1]["mode"] == "0700"  # the server config is reached through root's directory only
    unit_env, container_env = layout["files"]
    assert unit_env == {"path": "/etc/lab/a/instance.env", "content": "env of a\n", "owner": "root",
                        "group": "root", "mode": "0644", "key": "a", "keep_previous": True}
    assert container_env["path"] == "/etc/lab/a/container.env" and container_env["keep_previous"]  # for a rollback
    (secret,) = layout["secret_files"]
    assert secret == {"path": "/etc/lab/a/jupyter_server_config.json", "owner": "root", "group": "100",
                      "mode": "0640", "key": "a", "content": f'{{"token": "{TOKEN}"}}\n', "keep_previous": True}


def test_instance_files_need_each_instances_settings_and_an_absolute_directory():
    from labforge_filters.jupyter_runtime import jupyter_instance_files

    checked = jupyter_instances_storage(jupyter_instances_check(
        [{"name": "a", "token": TOKEN}, {"name": "p", "token": TOKEN, "volume": "/srv/p"}], DEFAULTS), None)
    layout = jupyter_instance_files(checked, rendered("a", "p"), [], "/etc/lab", 1000, 100)
    # The volume not created yet (check mode) is left out; the host directory is there.
    assert [d["path"] for d in layout["directories"]] == ["/etc/lab", "/etc/lab/a", "/etc/lab/p", "/srv/p"]
    with pytest.raises(LabforgeFilterError, match="absolute config directory"):
        jupyter_instance_files(checked, rendered("a", "p"), [], "etc/lab", 1000, 100)
    with pytest.raises(LabforgeFilterError, match="rendered instance.env, container.env, jupyter_server_config.json of instance p"):
        jupyter_instance_files(checked, rendered("a"), [], "/etc/lab", 1000, 100)


def test_volumes_missing_are_named_volumes_not_on_the_host_each_once():
    from labforge_filters.jupyter_runtime import jupyter_volumes_missing

    checked = jupyter_instances_storage(jupyter_instances_check(
        [{"name": "a", "token": TOKEN}, {"name": "b", "token": TOKEN, "volume": "shared"},
         {"name": "c", "token": TOKEN, "volume": "shared"}, {"name": "d", "token": TOKEN, "volume": "/srv/d"},
         {"name": "e", "token": TOKEN}, {"name": "old", "token": TOKEN, "volume": "/srv/old"}], DEFAULTS),
        {"ports": {"old": 8893}})
    assert jupyter_volumes_missing([{"Name": "jupyter-e"}, "junk"], checked) == [
        {"name": "jupyter-a", "labels": {"org.labforge.instance": "a"}},
        {"name": "shared", "labels": {"org.labforge.instance": "b"}},
        {"name": "jupyter-old-home", "labels": {"org.labforge.instance": "old"}},
    ]
    with pytest.raises(LabforgeFilterError, match="checked instances"):
        jupyter_volumes_missing([], None)


def test_a_new_instance_keeps_its_whole_home_in_its_volume():
    (new,) = jupyter_instances_storage(jupyter_instances_check([{"name": "a", "token": TOKEN}], DEFAULTS),
                                       {"ports": {"b": 8889}, "layouts": {"b": "home"}})
    assert new["layout"] == "home"
    assert new["mounts"] == [{"type": "volume", "source": "jupyter-a", "target": "/home/jovyan"}]


@pytest.mark.parametrize("record", [{"ports": {"a": 8888}}, {"ports": {"a": 8888}, "layouts": {"a": "work"}}],
                         ids=["record-of-an-earlier-release", "recorded-as-work"])
def test_an_instance_deployed_before_homes_persisted_keeps_its_volume_at_work(record):
    from labforge_filters.jupyter_runtime import jupyter_instance_files

    checked = jupyter_instances_check([{"name": "a", "token": TOKEN, "volume": "/srv/a"}], DEFAULTS)
    (old,) = jupyter_instances_storage(checked, record)
    assert old["layout"] == "work"
    assert old["mounts"] == [{"type": "volume", "source": "jupyter-a-home", "target": "/home/jovyan"},
                             {"type": "path", "source": "/srv/a", "target": "/home/jovyan/work"}]
    volumes = [{"Name": "jupyter-a-home", "Mountpoint": "/v/jupyter-a-home/_data"}]
    layout = jupyter_instance_files([old], rendered("a"), volumes, "/etc/lab", 1000, 100)
    assert layout["directories"][-1] == {"path": "/srv/a", "owner": "1000", "group": "100", "mode": "2775"}
    (named,) = jupyter_instances_storage(
        jupyter_instances_check([{"name": "a", "token": TOKEN}], DEFAULTS), record)
    volumes.append({"Name": "jupyter-a", "Mountpoint": "/v/jupyter-a/_data"})
    layout = jupyter_instance_files([named], rendered("a"), volumes, "/etc/lab", 1000, 100)
    assert [d["path"] for d in layout["directories"]] == ["/etc/lab", "/etc/lab/a", "/v/jupyter-a/_data"]


def test_an_earlier_instance_cannot_name_its_volume_like_its_home_volume():
    checked = jupyter_instances_check([{"name": "a", "token": TOKEN, "volume": "jupyter-a-home"}], DEFAULTS)
    with pytest.raises(LabforgeFilterError, match=r"jupyter_instances\[a\]: volume jupyter-a-home is the name"):
        jupyter_instances_storage(checked, {"ports": {"a": 8888}})
    with pytest.raises(LabforgeFilterError, match="checked instances"):
        jupyter_instances_storage(None, {})


def test_ready_checks_ask_status_with_the_token_or_api_for_a_password():
    from labforge_filters.jupyter_runtime import jupyter_ready_checks

    checked = instances()
    tokens = jupyter_instance_tokens(checked, [slurped("file", "from-file-token-123")])
    checks = jupyter_ready_checks(checked, tokens)
    assert checks[0] == {"name": "tok", "url": "http://127.0.0.1:8890/tok/api/status", "token": TOKEN,
                         "unit": "labforge-jupyter@tok.service"}
    assert checks[1]["token"] == "from-file-token-123"
    assert checks[2] == {"name": "pw", "url": f"{checked[2]['url']}api", "unit": "labforge-jupyter@pw.service"}
    with pytest.raises(LabforgeFilterError, match="tokens mapping"):
        jupyter_ready_checks(checked, None)


def test_unit_states_restart_the_changed_start_the_rest_and_stop_the_stopped():
    from labforge_filters.jupyter_runtime import jupyter_unit_states

    checked = jupyter_instances_check(
        [{"name": "changed", "token": TOKEN}, {"name": "new", "token": TOKEN}, {"name": "up", "token": TOKEN},
         {"name": "off", "token": TOKEN, "state": "stopped"}, {"name": "gone", "token": TOKEN, "state": "absent"}],
        DEFAULTS)
    unit = {i["name"]: i["unit"] for i in checked}
    states = jupyter_unit_states(checked, ["changed"], [unit["up"], unit["changed"]])
    assert states == [
        {"name": unit["changed"], "state": "restarted", "enabled": True},
        {"name": unit["new"], "state": "started", "enabled": True},
        {"name": unit["off"], "state": "stopped", "enabled": False},
        {"name": unit["gone"], "state": "stopped", "enabled": False},
    ]
    # In check mode the changed instance's unit is not written yet: it is left out.
    assert [s["name"] for s in jupyter_unit_states(checked, ["changed", "off"], [], True)] == [
        unit["new"], unit["up"], unit["gone"]]
    with pytest.raises(LabforgeFilterError, match="changed instance names"):
        jupyter_unit_states(checked, None, [])
