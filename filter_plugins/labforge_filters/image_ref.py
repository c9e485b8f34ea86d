"""Container image references, parsed and normalised the way Docker does it.

Follows the grammar of distribution/reference (``reference.ParseNormalizedNamed``):

    reference  := [domain "/"] path [":" tag] ["@" digest]
    domain     := host [":" port]        host: DNS name or [IPv6]
    path       := component ("/" component)*
    component  := [a-z0-9]+ (separator [a-z0-9]+)*    separator: "." | "_" | "__" | "-"+
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex     (sha256: 64, sha384: 96, sha512: 128 lowercase hex)

The first "/"-separated part is the registry when it contains "." or ":", is
"localhost", or has an uppercase letter; otherwise the registry is docker.io, and
a single-component Docker Hub path gets "library/" in front.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:
    from .errors import LabforgeFilterError, got
except ImportError:  # pragma: no cover - see "Plugin-path scan" in __init__.py
    pass

DEFAULT_REGISTRY = "docker.io"
LEGACY_DEFAULT_REGISTRY = "index.docker.io"
OFFICIAL_PREFIX = "library/"
NAME_TOTAL_LENGTH_MAX = 255
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = re.compile(rf"{_HOST}(?::[0-9]+)?")
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"(?P<algorithm>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):(?P<hex>[0-9a-fA-F]{32,})")
_IMAGE_ID = re.compile(r"[a-f0-9]{64}")
_REMAINDER = re.compile(r"(?P<path>[^:@]*)(?::(?P<tag>[^@]*))?(?:@(?P<digest>.*))?", re.DOTALL)

ACCEPTED = "[registry[:port]/]repository[:tag][@digest] with a lowercase repository"


@dataclass(frozen=True)
class ImageRef:
    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """registry/repository[:tag][@digest], with ``:latest`` when neither tag nor digest."""
        return f"{self.registry}/{self.repository}{self._suffix()}"

    @property
    def familiar(self) -> str:
        """The short Docker CLI form (``ubuntu:latest``, ``quay.io/x/y:1``) of :attr:`name`."""
        return f"{self._familiar_repository()}{self._suffix()}"

    @property
    def suffix(self) -> str:
        """``:tag``, ``@digest`` or both, as written; ``:latest`` when neither."""
        return self._suffix()

    def as_dict(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "repository": self.repository,
            "tag": self.tag,
            "digest": self.digest,
            "name": self.name,
            "familiar": self.familiar,
        }

    def _suffix(self) -> str:
        if self.tag is None and self.digest is None:
            return ":latest"
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return tag + digest

    def _familiar_repository(self) -> str:
        if self.registry != DEFAULT_REGISTRY:
            return f"{self.registry}/{self.repository}"
        repository = self.repository
        if repository.startswith(OFFICIAL_PREFIX) and "/" not in repository[len(OFFICIAL_PREFIX) :]:
            return repository[len(OFFICIAL_PREFIX) :]
        if _looks_like_registry(repository.split("/", 1)[0]) and "/" in repository:
            # "docker.io/foo.bar/baz" shortened to "foo.bar/baz" would name registry foo.bar.
            return f"{self.registry}/{repository}"
        return repository


def _looks_like_registry(first: str) -> bool:
    return any(c in first for c in ".:") or first == "localhost" or first.lower() != first


def _fail(ref: str, problem: str) -> LabforgeFilterError:
    return LabforgeFilterError(f"invalid image reference {ref!r}: {problem}; accepted: {ACCEPTED}")


def _split_registry(ref: str) -> tuple[str, str]:
    first, slash, rest = ref.partition("/")
    if slash and _looks_like_registry(first):
        registry, remainder = first, rest
    else:
        registry, remainder = DEFAULT_REGISTRY, ref
    if registry == LEGACY_DEFAULT_REGISTRY:
        registry = DEFAULT_REGISTRY
    return registry, remainder


def _check_digest(ref: str, digest: str) -> None:
    match = _DIGEST.fullmatch(digest)
    if match is None:
        raise _fail(ref, f"digest {digest!r} is not algorithm:hex (at least 32 hex digits)")
    algorithm, hex_part = match["algorithm"], match["hex"]
    if algorithm not in DIGEST_HEX_LENGTHS:
        raise _fail(ref, f"digest algorithm {algorithm!r} is not supported (supported: sha256, sha384, sha512)")
    length = DIGEST_HEX_LENGTHS[algorithm]
    if len(hex_part) != length or hex_part != hex_part.lower():
        raise _fail(
            ref, f"{algorithm} digest must be {length} lowercase hex digits, got {len(hex_part)} in {hex_part!r}"
        )


def parse_image_ref(ref: object) -> ImageRef:
    if not isinstance(ref, str):
        raise LabforgeFilterError(f"image reference must be a string ({ACCEPTED}), got {got(ref)}")
    text = str(ref)
    if not text:
        raise _fail(text, "it is empty")
    if _IMAGE_ID.fullmatch(text):
        raise _fail(text, "a 64-digit hex string is an image ID, not a reference")
    registry, remainder = _split_registry(text)
    if not _DOMAIN.fullmatch(registry):
        raise _fail(text, f"registry {registry!r} is not a host name, [IPv6] address or either with :port")
    parts = _REMAINDER.fullmatch(remainder)
    assert parts is not None  # every string matches
    path, tag, digest = parts["path"], parts["tag"], parts["digest"]
    if not path:
        raise _fail(text, "the repository name is empty")
    if path.lower() != path:
        raise _fail(text, f"repository name {path!r} must be lowercase")
    if not _PATH.fullmatch(path):
        raise _fail(
            text,
            f"repository {path!r} must be /-separated components of a-z and 0-9 joined by '.', '_', '__' or dashes",
        )
    if tag is not None and not _TAG.fullmatch(tag):
        raise _fail(text, f"tag {tag!r} must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}")
    if digest is not None:
        _check_digest(text, digest)
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = OFFICIAL_PREFIX + path
    if len(registry) + 1 + len(path) > NAME_TOTAL_LENGTH_MAX:
        raise _fail(text, f"registry/repository is longer than {NAME_TOTAL_LENGTH_MAX} characters")
    return ImageRef(registry=registry, repository=path, tag=tag, digest=digest)


def docker_image_ref(ref: object) -> dict[str, Any]:
    return parse_image_ref(ref).as_dict()


def docker_image_normalize(ref: object) -> str:
    return parse_image_ref(ref).name


class FilterModule:
    """Not a plugin; see "Plugin-path scan" in ``labforge_filters/__init__.py``."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {}
