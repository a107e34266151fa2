"""Quotas: limits per project (API DB) and usage counted, never tracked.

Instances are counted from the API DB's instance mappings; cores and RAM from
placement's usages of the project plus the build requests not yet claimed. The API
checks on create; two boots racing past the check can exceed a limit by the size of
the race, because the recheck after the claim belongs to the superconductor.
"""

from __future__ import annotations

import dataclasses

from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain.backends import Backends
from common.placement_client import PlacementError
from db.api import instances as api_instances
from db.api import keypairs as db_keypairs
from db.api import quotas as db_quotas
from db.api import server_groups as db_groups

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


def limits(backends: Backends, project_id: str) -> dict[str, int]:
    """Every limit of the project: its own where set, else the default."""
    return {**ALL_DEFAULTS, **db_quotas.limits(backends.api_url, project_id)}


def limit_of(backends: Backends, project_id: str, resource: str) -> int | None:
    """The project's limit of ``resource``; None if unlimited."""
    value = limits(backends, project_id)[resource]
    return None if value < 0 else value


def set_limits(backends: Backends, project_id: str, values: dict[str, int]) -> None:
    db_quotas.set_limits(backends.api_url, project_id, values)


def reset(backends: Backends, project_id: str) -> None:
    db_quotas.delete_limits(backends.api_url, project_id)


@dataclasses.dataclass(frozen=True)
class Usage:
    instances: int
    cores: int
    ram: int


def compute_usage(backends: Backends, project_id: str) -> Usage:
    """Instances, cores and RAM the project uses now; 503 if placement does not answer."""
    if backends.placement is None:
        raise errors.ServiceUnavailable("Placement is not configured; usage is unknown.")
    try:
        used = backends.placement.project_usages(project_id)
    except (PlacementError, OSError) as error:
        raise errors.ServiceUnavailable("Placement did not answer; usage is unknown, try "
                                        "again later.") from error
    pending = api_instances.pending_resources(backends.api_url, project_id)
    return Usage(instances=api_instances.count_for_project(backends.api_url, project_id),
                 cores=int(used.get("VCPU", 0)) + pending.get("VCPU", 0),
                 ram=int(used.get("MEMORY_MB", 0)) + pending.get("MEMORY_MB", 0))


def in_use(backends: Backends, context: RequestContext, project_id: str) -> dict[str, int]:
    """What each counted resource has in use (key pairs are the caller's own)."""
    usage = compute_usage(backends, project_id)
    return {"instances": usage.instances, "cores": usage.cores, "ram": usage.ram,
            "key_pairs": db_keypairs.count_for_user(backends.api_url, context.user_id),
            "server_groups": db_groups.count_for_project(backends.api_url, project_id)}


def check_server(backends: Backends, project_id: str, vcpus: int, ram: int,
                 metadata_items: int, count: int = 1) -> None:
    """Forbidden (403) if ``count`` more servers of this size exceed the project's quota."""
    limit = limits(backends, project_id)
    if 0 <= limit["metadata_items"] < metadata_items:
        raise errors.Forbidden("Quota exceeded for metadata_items: Requested "
                               f"{metadata_items}, but the limit is "
                               f"{limit['metadata_items']}")
    usage = compute_usage(backends, project_id)
    wanted = {"instances": (count, usage.instances), "cores": (count * vcpus, usage.cores),
              "ram": (count * ram, usage.ram)}
    over = [name for name, (asked, used) in wanted.items()
            if 0 <= limit[name] < used + asked]
    if over:
        name = over[0]
        asked, used = wanted[name]
        raise errors.Forbidden(f"Quota exceeded for {name}: Requested {asked}, but already "
                               f"used {used} of {limit[name]} {name}")
