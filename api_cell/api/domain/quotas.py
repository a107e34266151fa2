"""Quotas as the compute API shows and enforces them.

The counting lives in ``api_cell.quota``, shared with the superconductor: instances
from the API DB's instance mappings, cores and RAM from placement's usages of the
project plus the build requests not yet claimed. The API checks on create; two boots
racing past that check are caught by the superconductor, which counts again right after
each claim (``[quota] recheck_quota``). Here the plain quota errors become the API's
403 and 503.
"""

from __future__ import annotations

from api_cell import quota
from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain.backends import Backends
from db.api import keypairs as db_keypairs
from db.api import quotas as db_quotas
from db.api import server_groups as db_groups

# The handlers show these; they are defined with the counting.
INJECTED_DEFAULTS = quota.INJECTED_DEFAULTS
NETWORK_DEFAULTS = quota.NETWORK_DEFAULTS
ALL_DEFAULTS = quota.ALL_DEFAULTS


def limits(backends: Backends, project_id: str) -> dict[str, int]:
    """Every limit of the project: its own where set, else the default."""
    return quota.limits(backends.api_url, project_id)


def limit_of(backends: Backends, project_id: str, resource: str) -> int | None:
    """The project's limit of ``resource``; None if unlimited."""
    value = limits(backends, project_id)[resource]
    return None if value < 0 else value


def set_limits(backends: Backends, project_id: str, values: dict[str, int]) -> None:
    db_quotas.set_limits(backends.api_url, project_id, values)


def reset(backends: Backends, project_id: str) -> None:
    db_quotas.delete_limits(backends.api_url, project_id)


def compute_usage(backends: Backends, project_id: str) -> quota.Usage:
    """Instances, cores and RAM the project uses now; 503 if placement does not answer."""
    try:
        return quota.usage(backends.api_url, backends.placement, project_id)
    except quota.UsageUnknown as error:
        raise errors.ServiceUnavailable(str(error)) from error


def in_use(backends: Backends, context: RequestContext, project_id: str) -> dict[str, int]:
    """What each counted resource has in use (key pairs are the caller's own)."""
    return {**compute_usage(backends, project_id).as_dict(),
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
    try:
        quota.check(limit, compute_usage(backends, project_id).as_dict(),
                    {"instances": count, "cores": count * vcpus, "ram": count * ram})
    except quota.QuotaExceeded as error:
        raise errors.Forbidden(str(error)) from error
