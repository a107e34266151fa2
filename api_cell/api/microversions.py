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
    ("2.1", "The v2.1 API: versions, flavors, images, servers, start/stop/reboot, "
            "server metadata, keypairs, server groups, instance actions, services, "
            "hypervisors, availability zones, limits, quota sets."),
    ("2.2", "Keypairs have a type (ssh, x509); create answers 201, delete 204."),
    ("2.3", "Admins see more extended server attributes (reservation_id, hostname, ...)."),
    ("2.4", "Reserved fixed IPs (os-fixed-ips): not served by Cellar."),
    ("2.5", "ip6 server list filter for everyone: Cellar has no IPv6 addresses to filter "
            "on; the filter is ignored, as every filter Cellar does not know."),
    ("2.6", "Remote consoles API: not served by Cellar."),
    ("2.7", "Flavor access lists check is_public: flavor access is not served."),
    ("2.8", "MKS consoles: not served by Cellar."),
    ("2.9", "Servers show 'locked' (no lock action yet: always false)."),
    ("2.10", "Admins manage other users' keypairs (user_id)."),
    ("2.11", "os-services force-down and forced_down."),
    ("2.12", "Virtual interfaces net_id: not served by Cellar."),
    ("2.13", "Server groups show project_id and user_id."),
    ("2.14", "Evacuate without onSharedStorage: not served by Cellar."),
    ("2.15", "Server group policies soft-affinity and soft-anti-affinity."),
    ("2.16", "Admins see host_status in server details."),
    ("2.17", "trigger_crash_dump action: not served (answers 400 like every action "
             "Cellar lacks)."),
    ("2.18", "project_id optional in URLs: Cellar serves only URLs without it."),
    ("2.19", "Server description on create and in server details (update and rebuild "
             "are not served)."),
    ("2.20", "Volume attach on shelved servers: not served."),
    ("2.21", "os-instance-actions of deleted servers."),
    ("2.22", "Force live-migration complete: not served."),
    ("2.23", "Server migrations API: not served."),
    ("2.24", "Abort live migration: not served."),
    ("2.25", "os-migrateLive block_migration auto: not served."),
    ("2.26", "Server tags: sub-resource, in server details, list filters."),
    ("2.27", "OpenStack-API-Version header."),
    ("2.28", "Hypervisor cpu_info is an object."),
    ("2.29", "Evacuate force: not served."),
    ("2.30", "Live-migrate force: not served."),
    ("2.31", "Console auth tokens: not served."),
    ("2.32", "Tags on networks at server create (accepted; networks are ignored)."),
    ("2.33", "Hypervisor list paging (limit, marker)."),
    ("2.34", "Async live-migration checks: not served."),
    ("2.35", "Keypair list paging (limit, marker)."),
    ("2.36", "Proxy APIs (the /images proxy) answer 404; network quotas and limits "
             "are gone."),
    ("2.37", "networks is required on server create (auto, none or a list)."),
    ("2.38", "An unknown status filter is 400."),
    ("2.39", "maxImageMeta is gone from limits."),
    ("2.40", "Simple tenant usage paging: not served."),
    ("2.41", "Aggregate uuid: not served."),
    ("2.42", "Tags on networks at server create again."),
    ("2.43", "os-hosts: not served."),
    ("2.44", "Network proxy actions and virtual interfaces: not served."),
    ("2.45", "createImage body: not served."),
    ("2.46", "X-OpenStack-Request-ID header (always sent)."),
    ("2.47", "Servers embed their flavor."),
    ("2.48", "Diagnostics: not served."),
    ("2.49", "Tagged attach: not served."),
    ("2.50", "Quota class sets: not served."),
    ("2.51", "Instance action events for everyone (tracebacks for admins)."),
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
