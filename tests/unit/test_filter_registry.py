"""registry_manifest_blobs: the blobs of image manifests, for the registry_mirror prefetch."""

from __future__ import annotations

import pytest

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.registry import registry_manifest_blobs

A, B, C = ("sha256:" + c * 64 for c in "abc")


def result(repository: str, manifest: object) -> dict[str, object]:
    return {"url": f"http://127.0.0.1:5000/v2/{repository}/manifests/1", "json": manifest}


def test_config_then_layers_each_once_per_repository():
    manifests = [
        result("team/app", {"config": {"digest": A}, "layers": [{"digest": B}, {"digest": C}, {"digest": B}]}),
        result("other", {"config": {"digest": A}, "layers": []}),
    ]
    assert registry_manifest_blobs(manifests) == [
        {"repository": "team/app", "digest": A},
        {"repository": "team/app", "digest": B},
        {"repository": "team/app", "digest": C},
        {"repository": "other", "digest": A},
    ]


def test_nothing_in_nothing_out():
    assert registry_manifest_blobs([]) == []


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ("not a list", "expected a list of manifest results"),
        ([{"json": {}}], "each manifest result needs a url"),
        ([{"url": "http://x/v2/a/blobs/" + A, "json": {}}], "is not a manifest URL"),
        ([result("a", {"manifests": [{"digest": A}]})], "a multi-platform index; give the manifest of one platform"),
        ([result("a", None)], "no image manifest"),
        ([result("a", {"config": {"digest": "md5:00"}, "layers": []})], "without a sha256 digest"),
    ],
)
def test_bad_input_names_what_is_wrong(results, message):
    with pytest.raises(LabforgeFilterError, match=message):
        registry_manifest_blobs(results)
