"""The bench's reading of a registry access log: bytes of blobs served, per client."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from labforge_bench.registry_log import read_from, served  # noqa: E402

BLOB = "sha256:" + "ab" * 32
LOG = f"""\
time="2026-11-23T07:00:00Z" level=info msg="listening on [::]:5001" go.version=go1.19
172.17.0.3 - - [23/Nov/2026:07:00:01 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "docker/20.10.24"
172.17.0.3 - - [23/Nov/2026:07:00:01 +0000] "HEAD /v2/labforge/jupyter-test/manifests/2 HTTP/1.1" 200 1574 "" "d"
172.17.0.3 - - [23/Nov/2026:07:00:01 +0000] "GET /v2/labforge/jupyter-test/manifests/2 HTTP/1.1" 200 1574 "" "d"
172.17.0.3 - - [23/Nov/2026:07:00:02 +0000] "GET /v2/labforge/jupyter-test/blobs/{BLOB} HTTP/1.1" 200 1000 "" "d"
172.17.0.4 - - [23/Nov/2026:07:00:02 +0000] "GET /v2/labforge/jupyter-test/blobs/{BLOB} HTTP/1.1" 200 250 "" "d"
172.17.0.4 - - [23/Nov/2026:07:00:02 +0000] "GET /v2/labforge/jupyter-test/blobs/{BLOB} HTTP/1.1" 404 19 "" "d"
172.17.0.4 - - [23/Nov/2026:07:00:03 +0000] "HEAD /v2/labforge/jupyter-test/blobs/{BLOB} HTTP/1.1" 200 0 "" "d"
172.17.0.5 - - [23/Nov/2026:07:00:03 +0000] "PUT /v2/labforge/jupyter-test/blobs/uploads/x?digest={BLOB} HTTP/1.1" 201 0 "" "d"
"""


def test_only_successful_blob_gets_count_toward_bytes():
    result = served(LOG.splitlines())
    assert result.blob_bytes == 1250
    assert result.blob_gets == 2
    assert result.manifest_gets == 1
    assert result.bytes_by_client == {"172.17.0.3": 1000, "172.17.0.4": 250}


def test_lines_that_are_not_access_lines_are_ignored():
    assert served(["", "garbage", 'time="x" level=warn msg="GET /v2/a/blobs/sha256:00 200 99"']).blob_bytes == 0


def test_a_dash_size_counts_as_zero():
    line = f'10.0.0.1 - - [23/Nov/2026:07:00:02 +0000] "GET /v2/a/b/blobs/{BLOB} HTTP/1.1" 200 - "" "d"'
    assert served([line]).blob_gets == 1
    assert served([line]).blob_bytes == 0


def test_as_dict_is_plain_data():
    assert served(LOG.splitlines()).as_dict()["bytes_by_client"] == {"172.17.0.3": 1000, "172.17.0.4": 250}


def test_read_from_returns_only_what_was_appended(tmp_path: Path):
    log = tmp_path / "access.log"
    log.write_text("first\n")
    lines, offset = read_from(str(log), 0)
    assert lines == ["first"]
    with log.open("a") as out:
        out.write("second\nthird\n")
    lines, end = read_from(str(log), offset)
    assert lines == ["second", "third"]
    assert end == log.stat().st_size
