"""The server-group filter: affinity and anti-affinity, read at scheduling time.

The request spec names the group (``group_uuid``). The hosts of the group's other
members are read when the instance is scheduled, from the API DB (membership and
mappings) and from each member's cell (its ``host``), so a member placed a moment
ago counts. Soft policies never reject a host.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from api_cell.cell_health import CellDown, CellHealth
from api_cell.scheduler.filters import HostFilter
from api_cell.scheduler.hosts import HostCandidate
from db import errors
from db.api import instances as api_instances
from db.api import server_groups as db_groups
from db.api.cells import Cell, CellCache
from db.cell import hypervisors as cell_hosts

LOG = logging.getLogger(__name__)

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"


def member_hosts(api_url: str, cells: CellCache, members: list[str],
                 health: CellHealth | None = None) -> Counter:
    """How many of ``members`` run on each host.

    Members in a cell that is down are not counted: the hosts of that cell are
    filtered out anyway (see filters.cell_up), so anti-affinity stays right; affinity
    to a group whose hosts are all in a down cell then places anywhere.
    """
    by_cell: dict[int, list[str]] = {}
    for mapping in api_instances.mappings_of(api_url, members):
        if mapping.cell_id is not None and not mapping.queued_for_delete:
            by_cell.setdefault(mapping.cell_id, []).append(mapping.instance_uuid)
    hosts: Counter = Counter()
    for cell_id, uuids in by_cell.items():
        try:
            cell = cells.by_id(cell_id)
        except errors.NotFound:
            continue
        if cell.is_cell0:
            continue
        hosts.update(_hosts_of(cell, uuids, health).values())
    return hosts


def _hosts_of(cell: Cell, uuids: list[str], health: CellHealth | None) -> dict[str, str]:
    if health is None:
        return cell_hosts.hosts_of(cell.database_connection, uuids)
    try:
        return health.call(cell, cell_hosts.hosts_of, uuids)
    except CellDown:
        return {}
    except Exception as error:
        if not health.is_down(cell.uuid):
            raise
        LOG.warning("cell %s is down; its group members are not counted: %s", cell.name,
                    error)
        return {}


def build(cells: CellCache, spec: dict[str, Any], health: CellHealth | None = None
          ) -> HostFilter | None:
    """The filter for the group the spec names, or None if it names none."""
    group_uuid = spec.get("group_uuid")
    api_url = getattr(cells, "api_url", None)
    if not group_uuid or api_url is None:
        return None
    try:
        group = db_groups.get(api_url, group_uuid)
    except errors.NotFound:
        LOG.warning("server group %s of %s is gone; not filtering by it", group_uuid,
                    spec.get("instance_uuid"))
        return None
    others = [m for m in group.members if m != spec.get("instance_uuid")]
    hosts = member_hosts(api_url, cells, others, health)
    if group.policy == AFFINITY:
        return _affinity(group.uuid, set(hosts))
    if group.policy == ANTI_AFFINITY:
        return _anti_affinity(group.uuid, hosts,
                              int(group.rules.get("max_server_per_host", 1)))
    return None


def _affinity(group_uuid: str, hosts: set[str]) -> HostFilter:
    def check(candidate: HostCandidate) -> str | None:
        if hosts and candidate.host not in hosts:
            return (f"server group {group_uuid} (affinity) keeps its servers on "
                    f"{', '.join(sorted(hosts))}")
        return None
    return check


def _anti_affinity(group_uuid: str, hosts: Counter, per_host: int) -> HostFilter:
    def check(candidate: HostCandidate) -> str | None:
        if hosts.get(candidate.host, 0) >= per_host:
            return (f"server group {group_uuid} (anti-affinity) has {hosts[candidate.host]} "
                    f"server(s) on {candidate.host} already (at most {per_host})")
        return None
    return check
