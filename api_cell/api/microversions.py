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
    ("2.7", "Flavor access of a public flavor: list 404, add 409."),
    ("2.8", "MKS consoles: not served by Cellar."),
    ("2.9", "Servers show 'locked' (lock and unlock actions)."),
    ("2.10", "Admins manage other users' keypairs (user_id)."),
    ("2.11", "os-services force-down and forced_down."),
    ("2.12", "Virtual interfaces net_id: not served by Cellar."),
    ("2.13", "Server groups show project_id and user_id."),
    ("2.14", "Evacuate without onSharedStorage: not served by Cellar."),
    ("2.15", "Server group policies soft-affinity and soft-anti-affinity."),
    ("2.16", "Admins see host_status in server details."),
    ("2.17", "trigger_crash_dump action: not served (answers 400 like every action "
             "Cellar lacks)."),
    ("2.18", "project_id optional in URLs: both forms served, at every version."),
    ("2.19", "Server description on create and in server details (update and rebuild "
             "are not served)."),
    ("2.20", "Volume attach on shelved servers: not served."),
    ("2.21", "os-instance-actions of deleted servers."),
    ("2.22", "Force live-migration complete: not served."),
    ("2.23", "migration_type in os-migrations; the server migrations sub-resource is "
             "not served."),
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
    ("2.41", "Host aggregates show their uuid."),
    ("2.42", "Tags on networks at server create again."),
    ("2.43", "os-hosts: not served."),
    ("2.44", "Network proxy actions and virtual interfaces: not served."),
    ("2.45", "createImage answers the image id in its body, not in a Location header."),
    ("2.46", "X-OpenStack-Request-ID header (always sent)."),
    ("2.47", "Servers embed their flavor."),
    ("2.48", "Diagnostics: not served."),
    ("2.49", "Tagged attach: not served."),
    ("2.50", "Quota class sets: not served."),
    ("2.51", "Instance action events for everyone (tracebacks for admins)."),
    ("2.52", "Tags on server create (at most 50), kept with the build request and "
             "copied into the cell's tags table when the server is placed."),
    ("2.53", "os-services and os-hypervisors name services and compute nodes by uuid; "
             "PUT /os-services/{uuid}; hypervisor lists take hypervisor_hostname_pattern "
             "and with_servers, the /{pattern}/search and /{pattern}/servers routes "
             "are gone."),
    ("2.54", "Rebuild takes key_name (server actions)."),
    ("2.55", "Flavor description: create, PUT /flavors/{id}, shown in every flavor view."),
    ("2.56", "Migrate takes an optional host (validated; migrate answers 409 until "
             "moves exist)."),
    ("2.57", "Rebuild takes user_data, personality is gone (server actions); "
             "maxPersonality limits and injected-file quotas are gone."),
    ("2.58", "Instance action paging (limit, marker), changes-since and updated_at."),
    ("2.59", "os-migrations paging (limit, marker), changes-since and uuid; unknown "
             "parameters are 400."),
    ("2.60", "Multiattach volumes: not served (no volumes)."),
    ("2.61", "Flavor extra_specs in flavor details, by the extra-specs index policy."),
    ("2.62", "host and hostId on instance action events."),
    ("2.63", "trusted_image_certificates on server create, kept in the request spec and "
             "shown in server details (Cellar verifies no image signatures)."),
    ("2.64", "Server group policy and rules (max_server_per_host)."),
    ("2.65", "Abort of queued live migrations: not served."),
    ("2.66", "changes-before filter on server lists, instance actions and "
             "os-migrations."),
    ("2.67", "volume_type in block_device_mapping_v2: not served (no volumes; the "
             "image-to-local mapping takes none)."),
    ("2.68", "force on evacuate and live-migrate is gone: live-migrate is not served, "
             "evacuate answers 409 until moves exist (server actions)."),
    ("2.69", "Minimal records of servers and services in cells that do not answer."),
    ("2.70", "Device tags of volume attachments and interfaces: not served."),
    ("2.71", "server_groups in server show and in the reply of PUT /servers/{id}."),
    ("2.72", "Ports with resource requests: not served (no networks)."),
    ("2.73", "Lock with a reason; locked_reason shown (server actions)."),
    ("2.74", "host and hypervisor_hostname on server create, for admins; the scheduler "
             "keeps only the named host."),
    ("2.75", "400 for unknown server list parameters; flavor swap 0 instead of \"\"; "
             "hypervisor servers always listed with with_servers; PUT /servers/{id} "
             "and rebuild answer the whole server."),
    ("2.76", "power-update external event: not served (no external events API)."),
    ("2.77", "Unshelve to an availability zone (server actions)."),
    ("2.78", "Server topology: GET /servers/{id}/topology (no NUMA: no nodes)."),
    ("2.79", "delete_on_termination on volume attachments: not served (no volumes)."),
    ("2.80", "os-migrations user_id and project_id, shown and as filters."),
    ("2.81", "Image cache of aggregates: POST /os-aggregates/{id}/images answers 400 "
             "(agents cache an image on first use only)."),
    ("2.82", "accelerator-request-bound external event: not served."),
    ("2.83", "Server list filters vm_state, task_state, power_state, availability_zone "
             "and user_id for everyone (admins only before)."),
    ("2.84", "details (the error message) on failed instance action events."),
    ("2.85", "Volume attachment update: not served (no volumes)."),
    ("2.86", "Flavor extra specs validated: resources and trait keys, values of the "
             "common hw: keys."),
    ("2.87", "Rescue of volume-backed servers: not served."),
    ("2.88", "Hypervisor details without usage fields, with uptime (null)."),
    ("2.89", "Volume attachment ids: not served (no volumes)."),
    ("2.90", "hostname on server create, update and rebuild; OS-EXT-SRV-ATTR:hostname "
             "for everyone."),
    ("2.91", "Unshelve to a host and with a null zone (validated; unshelve answers 409 "
             "until moves exist)."),
    ("2.92", "Key pairs are imported only (public_key required); names may hold '@'."),
    ("2.93", "Rebuild of volume-backed servers: not served (no volumes)."),
    ("2.94", "hostname may be a fully qualified domain name."),
    ("2.95", "Evacuate leaves the server stopped: not served (evacuate answers 409)."),
    ("2.96", "pinned_availability_zone in server details."),
    ("2.97", "Shares attached to servers: not served."),
    ("2.98", "Image properties in the image of server details."),
    ("2.99", "SPICE direct consoles: not served (no consoles)."),
    ("2.100", "scheduler_hints in server details."),
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
