"""Microversions of the compute API, as data, and their negotiation from headers.

Only versions whose changes are implemented for every resource the API serves belong
in ``VERSIONS``; the last entry is what ``/v2.1`` advertises, and clients negotiate
down to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from api_cell.api import errors

SERVICE_TYPE = "compute"
HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"

# (version, what it changed). Raise the maximum only with the change implemented.
VERSIONS: list[tuple[str, str]] = [
    ("2.1", "The v2.1 API: versions, flavors, images, servers, start/stop/reboot."),
]

_VERSION_RE = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


class Version(NamedTuple):
    """A microversion; compares as a tuple."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def parse(text: str) -> Version:
    """``"2.10"`` -> Version(2, 10); BadRequest if it is not MAJOR.MINOR."""
    match = _VERSION_RE.match(text.strip())
    if match is None:
        raise errors.BadRequest(f"API Version String {text} is of invalid format. Must be "
                                "of format MajorNum.MinorNum.")
    return Version(int(match.group(1)), int(match.group(2)))


MIN_VERSION = parse(VERSIONS[0][0])
MAX_VERSION = parse(VERSIONS[-1][0])


def negotiate(headers: Mapping[str, str]) -> Version:
    """The version a request asks for: the minimum if none, the maximum for ``latest``.

    The standard header wins over the legacy Nova one. NotAcceptable if out of range.
    """
    wanted = _requested(headers)
    if wanted is None:
        return MIN_VERSION
    if wanted.strip().lower() == "latest":
        return MAX_VERSION
    version = parse(wanted)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise errors.NotAcceptable(f"Version {version} is not supported by the API. Minimum "
                                   f"is {MIN_VERSION} and maximum is {MAX_VERSION}.")
    return version


def _requested(headers: Mapping[str, str]) -> str | None:
    standard = headers.get(HEADER)
    if standard:
        # The header may name several services ("compute 2.1, placement 1.10").
        for item in standard.split(","):
            service, _, value = item.strip().partition(" ")
            if service.lower() == SERVICE_TYPE:
                return value.strip()
    return headers.get(LEGACY_HEADER) or None


def response_headers(version: Version) -> dict[str, str]:
    """Headers that tell the client which version answered, and let caches vary on it."""
    return {HEADER: f"{SERVICE_TYPE} {version}", LEGACY_HEADER: str(version),
            "Vary": f"{HEADER}, {LEGACY_HEADER}"}
