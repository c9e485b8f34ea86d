"""The blobs of container images, from their manifests as a registry serves them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

try:
    from .errors import LabforgeFilterError, got
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

_MANIFEST_URL = re.compile(r"/v2/(?P<repository>.+)/manifests/[^/]+$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def registry_manifest_blobs(results: object) -> list[dict[str, str]]:
    """``[{repository, digest}]`` of every blob (config first, then layers) of the manifests in
    ``results``: mappings with the manifest's ``url`` (``.../v2/REPOSITORY/manifests/REF``) and
    its ``json``, as the uri module returns them. Each blob once per repository."""
    if not isinstance(results, (list, tuple)):
        raise LabforgeFilterError(f"expected a list of manifest results (url and json), got {got(results)}")
    blobs: list[dict[str, str]] = []
    for result in results:
        if not isinstance(result, Mapping) or not isinstance(result.get("url"), str):
            raise LabforgeFilterError(f"each manifest result needs a url, got {got(result)}")
        url, manifest = result["url"], result.get("json")
        match = _MANIFEST_URL.search(url.split("?", 1)[0])
        if match is None:
            raise LabforgeFilterError(f"{url!r} is not a manifest URL (.../v2/REPOSITORY/manifests/REFERENCE)")
        if not isinstance(manifest, Mapping) or not isinstance(manifest.get("layers"), list):
            kind = "a multi-platform index" if isinstance(manifest, Mapping) and "manifests" in manifest else "no image manifest"
            raise LabforgeFilterError(f"{url}: {kind}; give the manifest of one platform (with config and layers)")
        descriptors = [manifest.get("config"), *manifest["layers"]]
        for descriptor in descriptors:
            digest = descriptor.get("digest") if isinstance(descriptor, Mapping) else None
            if not isinstance(digest, str) or _DIGEST.match(digest) is None:
                raise LabforgeFilterError(f"{url}: a blob descriptor without a sha256 digest: {got(descriptor)}")
            blob = {"repository": match["repository"], "digest": digest}
            if blob not in blobs:
                blobs.append(blob)
    return blobs


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
