"""Bytes a registry served, from its access log.

Distribution's registry (Debian's docker-registry) writes one Apache combined-format line
per request to stdout, whatever its log level:

    172.17.0.3 - - [23/Nov/2026:07:00:00 +0000] "GET /v2/a/b/blobs/sha256:ab.. HTTP/1.1" 200 1234 "" "docker/20.10"

Its own log lines (time="..." level=...) are mixed in and ignored here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

ACCESS = re.compile(
    r'^(?P<client>\S+) \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<path>\S+)[^"]*" (?P<status>\d{3}) (?P<size>\d+|-)'
)
BLOB = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")
MANIFEST = re.compile(r"^/v2/.+/manifests/[^/]+$")


@dataclass
class Served:
    """What a registry served to pulls: blob bytes in total and per client, request counts."""

    blob_bytes: int = 0
    blob_gets: int = 0
    manifest_gets: int = 0
    bytes_by_client: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "blob_bytes": self.blob_bytes,
            "blob_gets": self.blob_gets,
            "manifest_gets": self.manifest_gets,
            "bytes_by_client": dict(sorted(self.bytes_by_client.items())),
        }


def served(lines: Iterable[str]) -> Served:
    """Sum the successful GETs of blobs and manifests in access-log lines."""
    result = Served()
    for line in lines:
        match = ACCESS.match(line)
        if match is None or match["method"] != "GET" or not match["status"].startswith("2"):
            continue
        size = 0 if match["size"] == "-" else int(match["size"])
        path = match["path"].split("?", 1)[0]
        if BLOB.match(path):
            result.blob_bytes += size
            result.blob_gets += 1
            result.bytes_by_client[match["client"]] += size
        elif MANIFEST.match(path):
            result.manifest_gets += 1
    return result


def read_from(path: str, offset: int) -> tuple[list[str], int]:
    """The lines appended to a log since ``offset``, and the new end offset."""
    with open(path, "rb") as log:
        log.seek(offset)
        data = log.read()
    return data.decode("utf-8", "replace").splitlines(), offset + len(data)
