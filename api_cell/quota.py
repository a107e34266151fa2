"""Quota counting of the global tier, shared by the compute API and the superconductor.

Usage is counted, never tracked: nothing is incremented on create or decremented on
delete, so nothing can drift. Two counts exist, for the two moments a quota is checked:

* ``usage`` is what the API checks ``POST /servers`` against. Instances are the API DB's
  live instance mappings; cores and RAM are placement's usages of the project plus the
  resources of the build requests no cell holds yet (their claims may not exist yet).
* ``claimed_usage`` is what the superconductor rechecks right after a build's claim.
  Cores and RAM are placement's usages alone, and an instance counts once it holds a
  claim or has been placed (in a cell, or in cell0 in ERROR); a build request that has
  not claimed yet is left out. Two builds that raced past the API's check both claimed
  before they rechecked, so the later of the two sees both claims: whatever the
  interleaving, the builds that pass never exceed a limit together. A build request
  that claimed but is not placed yet is counted once, by its claim. Build requests
  are looked up in placement one by one only when the rough count (every live
  mapping) would not fit, so the usual recheck costs one placement read.

The module knows nothing of HTTP: QuotaExceeded and UsageUnknown are plain errors. The
API maps them to 403 and 503; the superconductor turns the first into a server in
ERROR with a fault, and lets the second fail the task, which is delivered again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from common.placement_client import PlacementClient, PlacementError
from db.api import instances as api_instances
from db.api import quotas as db_quotas

# Enforced (and counted) resources and their defaults; -1 means unlimited.
DEFAULTS: dict[str, int] = {
    "instances": 10, "cores": 20, "ram": 51200, "key_pairs": 100,
    "server_groups": 10, "server_group_members": 10, "metadata_items": 128,
}
# Shown (and settable) before 2.57 but enforced by nothing in Cellar.
INJECTED_DEFAULTS: dict[str, int] = {
    "injected_files": 5, "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255}
# Shown (and settable) before 2.36: network quotas belong to the network service.
NETWORK_DEFAULTS: dict[str, int] = {
    "fixed_ips": -1, "floating_ips": 10, "security_groups": 10,
    "security_group_rules": 20}
ALL_DEFAULTS = {**DEFAULTS, **INJECTED_DEFAULTS, **NETWORK_DEFAULTS}

# The resources a server consumes, in the order they are checked (Nova's order).
SERVER_RESOURCES = ("instances", "cores", "ram")
# Build requests read per query while looking for the ones that have not claimed yet.
_PAGE = 500
_NO_ANSWER = "Placement did not answer; usage is unknown, try again later."


class QuotaExceeded(Exception):
    """``requested`` more of ``resource`` on top of ``used`` would pass ``limit``."""

    def __init__(self, resource: str, limit: int, used: int, requested: int) -> None:
        super().__init__(f"Quota exceeded for {resource}: Requested {requested}, but "
                         f"already used {used} of {limit} {resource}")
        self.resource = resource
        self.limit = limit
        self.used = used
        self.requested = requested


class UsageUnknown(Exception):
    """Placement could not be asked, so the project's usage cannot be counted."""


@dataclasses.dataclass(frozen=True)
class Usage:
    """What a project consumes of the resources a server needs."""

    instances: int
    cores: int
    ram: int

    def as_dict(self) -> dict[str, int]:
        """By resource name, as limits are keyed."""
        return {"instances": self.instances, "cores": self.cores, "ram": self.ram}


def limits(api_url: str, project_id: str) -> dict[str, int]:
    """Every limit of the project: its own where set, else the default (-1: unlimited)."""
    return {**ALL_DEFAULTS, **db_quotas.limits(api_url, project_id)}


def usage(api_url: str, placement: PlacementClient | None, project_id: str) -> Usage:
    """The project's usage as the API checks it: claimed, placed and still to claim."""
    used = _placement_usages(placement, project_id)
    pending = api_instances.pending_resources(api_url, project_id)
    return Usage(instances=api_instances.count_for_project(api_url, project_id),
                 cores=used.get("VCPU", 0) + pending.get("VCPU", 0),
                 ram=used.get("MEMORY_MB", 0) + pending.get("MEMORY_MB", 0))


def claimed_usage(api_url: str, placement: PlacementClient, project_id: str,
                  claimed: str | None = None, instance_limit: int = -1) -> Usage:
    """The project's usage as a recheck counts it: only what holds a claim or is placed.

    Telling the build requests that hold a claim from those that do not costs one
    placement read each, so it is done only when it matters: while every live mapping
    together stays within ``instance_limit`` (unlimited if negative), that count, an
    overcount at worst, is returned. ``claimed`` names a build known to hold its claim
    (the one rechecking), spared its read. A build that changes state while this
    counts is counted rather than missed: the errors all go towards refusing.
    """
    used = _placement_usages(placement, project_id)
    mapped = api_instances.count_for_project(api_url, project_id)
    if instance_limit < 0 or mapped <= instance_limit:
        instances = mapped
    else:
        instances = _mapped_less_unclaimed(api_url, placement, project_id, claimed)
    return Usage(instances=instances, cores=used.get("VCPU", 0),
                 ram=used.get("MEMORY_MB", 0))


def _mapped_less_unclaimed(api_url: str, placement: PlacementClient, project_id: str,
                           claimed: str | None) -> int:
    """Live mappings of the project less its build requests that hold no claim."""
    # Build requests first, mappings next, claims last: a build placed or created in
    # between keeps its mapping counted, and one claiming meanwhile counts itself when
    # it rechecks.
    waiting = [uuid for uuid in _build_uuids(api_url, project_id) if uuid != claimed]
    mapped = api_instances.count_for_project(api_url, project_id)
    try:
        no_claim = [uuid for uuid in waiting
                    if not placement.allocations(uuid)["allocations"]]
    except (PlacementError, OSError) as error:
        raise UsageUnknown(_NO_ANSWER) from error
    return mapped - len(api_instances.get_builds(api_url, no_claim))


def check(limit: Mapping[str, int], used: Mapping[str, int],
          requested: Mapping[str, int]) -> None:
    """QuotaExceeded for the first resource where ``used`` plus ``requested`` passes
    its limit; a negative limit is unlimited, a resource without a limit is not checked.
    """
    for resource, asked in requested.items():
        allowed = limit.get(resource, -1)
        if 0 <= allowed < used.get(resource, 0) + asked:
            raise QuotaExceeded(resource, allowed, used.get(resource, 0), asked)


def recheck_server(api_url: str, placement: PlacementClient, project_id: str,
                   instance_uuid: str, resources: Mapping[str, int]) -> None:
    """After ``instance_uuid`` claimed ``resources``: QuotaExceeded if it passes a limit.

    The build's own claim is in the count already; it is taken out of "used" and shown
    as "requested", so a build is never measured against itself, however many times
    its task is delivered. A project without limits on servers costs no count at all.
    """
    limit = limits(api_url, project_id)
    own = {"instances": 1, "cores": int(resources.get("VCPU", 0)),
           "ram": int(resources.get("MEMORY_MB", 0))}
    if all(limit.get(resource, -1) < 0 for resource in own):
        return
    counted = claimed_usage(api_url, placement, project_id, claimed=instance_uuid,
                            instance_limit=limit.get("instances", -1)).as_dict()
    check(limit, others(counted, own), own)


def others(counted: Mapping[str, int], own: Mapping[str, int]) -> dict[str, int]:
    """What the rest of the project uses: ``counted`` (which includes ``own``) less own."""
    return {resource: max(counted.get(resource, 0) - amount, 0)
            for resource, amount in own.items()}


def _placement_usages(placement: PlacementClient | None, project_id: str) -> dict[str, int]:
    if placement is None:
        raise UsageUnknown("Placement is not configured; usage is unknown.")
    try:
        return {rc: int(amount) for rc, amount in placement.project_usages(project_id).items()}
    except (PlacementError, OSError) as error:
        raise UsageUnknown(_NO_ANSWER) from error


def _build_uuids(api_url: str, project_id: str) -> list[str]:
    """Every build request of the project no cell holds yet."""
    uuids: list[str] = []
    before = None
    while True:
        page = api_instances.build_page(api_url, _PAGE, project_id, before)
        uuids.extend(uuid for _created, uuid in page)
        if len(page) < _PAGE:
            return uuids
        before = page[-1]
