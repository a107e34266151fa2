"""Microversions of the placement API, as data, and the parsing of the header."""

from __future__ import annotations

import re
from typing import NamedTuple

import microversion_parse

from placement import errors

SERVICE_TYPE = "placement"
HEADER = "OpenStack-API-Version"

# (version, what it added). The last entry is the advertised maximum: only versions
# whose features are implemented for every version below them belong here.
VERSIONS: list[tuple[str, str]] = [
    ("1.0", "Resource providers, inventories, allocations, usages."),
    ("1.1", "Provider aggregates."),
    ("1.2", "Custom resource classes."),
    ("1.3", "member_of filter on GET /resource_providers."),
    ("1.4", "resources filter on GET /resource_providers."),
    ("1.5", "DELETE /resource_providers/{uuid}/inventories."),
    ("1.6", "Traits and provider traits."),
    ("1.7", "PUT /resource_classes/{name} creates, without a body."),
    ("1.8", "project_id and user_id required in PUT /allocations."),
    ("1.9", "GET /usages for a project (and user)."),
    ("1.10", "GET /allocation_candidates."),
    ("1.11", "'allocations' link on providers."),
    ("1.12", "Dict form of allocations in PUT /allocations and candidates."),
    ("1.13", "POST /allocations for several consumers at once."),
    ("1.14", "Nested providers: parent/root provider uuid, in_tree filter."),
    ("1.15", "Last-Modified and Cache-Control headers."),
    ("1.16", "limit on GET /allocation_candidates."),
    ("1.17", "required traits on candidates; traits in provider summaries."),
    ("1.18", "required traits on GET /resource_providers."),
    ("1.19", "Provider aggregates carry the provider generation."),
    ("1.20", "POST /resource_providers answers 200 with the provider."),
    ("1.21", "member_of on GET /allocation_candidates."),
    ("1.22", "Forbidden traits (!TRAIT)."),
    ("1.23", "Error codes in error bodies."),
    ("1.24", "Repeated member_of parameters."),
    ("1.25", "Granular (numbered) request groups and group_policy."),
    ("1.26", "Inventory reserved may equal total."),
    ("1.27", "Provider summaries list every inventoried class."),
    ("1.28", "Consumer generations."),
    ("1.29", "Nested providers in allocation candidates."),
    ("1.30", "POST /reshaper."),
    ("1.31", "in_tree on GET /allocation_candidates."),
    ("1.32", "Forbidden aggregates (member_of=!...)."),
    ("1.33", "String request group suffixes."),
    ("1.34", "Request group mappings in allocation requests."),
    ("1.35", "root_required on GET /allocation_candidates."),
    ("1.36", "same_subtree on GET /allocation_candidates."),
    ("1.37", "Re-parenting and un-parenting providers."),
    ("1.38", "Consumer types."),
    ("1.39", "Any-of traits (required=in:A,B)."),
]


class Version(NamedTuple):
    """A microversion; compares as a tuple, so ``v >= (1, 14)`` reads naturally."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def _parse(text: str) -> Version:
    major, minor = text.split(".")
    return Version(int(major), int(minor))


MIN_VERSION = _parse(VERSIONS[0][0])
MAX_VERSION = _parse(VERSIONS[-1][0])
_VERSION_RE = re.compile(r"^([1-9][0-9]*|0)\.([1-9][0-9]*|0)$")


def from_headers(headers: dict[str, str]) -> Version:
    """The version a request asks for; the minimum when it names none.

    Raises BadRequest for a malformed value and NotAcceptable for one out of range.
    """
    text = microversion_parse.get_version(headers, service_type=SERVICE_TYPE)
    if text is None:
        return MIN_VERSION
    text = text.strip()
    if text == "latest":
        return MAX_VERSION
    match = _VERSION_RE.match(text)
    if match is None:
        raise errors.BadRequest(f"invalid version string: {text[:40]!r}")
    version = Version(int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise errors.NotAcceptable(
            f"Unacceptable version header: {version}. "
            f"Supported versions are {MIN_VERSION} to {MAX_VERSION}.")
    return version
