"""Availability zones for the scheduler: which placement aggregates and hosts a zone
has, read from the API DB's host aggregates at scheduling time."""

from __future__ import annotations

from api_cell.scheduler.filters import HostFilter
from api_cell.scheduler.hosts import HostCandidate
from db.api import aggregates as db_aggregates


def aggregates_of(api_url: str, zone: str | None, default_zone: str) -> list[str] | None:
    """The aggregate uuids placement must find a host in (``member_of``) for ``zone``:
    None when any host may do (no zone, or the default zone, whose hosts are those no
    zone aggregate holds), an empty list when the zone has no host."""
    if zone is None or zone == default_zone:
        return None
    return db_aggregates.zone_aggregates(api_url, zone)


def in_zone(api_url: str, zone: str, default_zone: str) -> HostFilter:
    """Keep the hosts whose availability zone is ``zone``."""
    zone_of = db_aggregates.zone_of_hosts(api_url)

    def check(candidate: HostCandidate) -> str | None:
        found = zone_of.get(candidate.host or "", default_zone)
        if found != zone:
            return f"in availability zone {found}, not {zone}"
        return None

    return check


def zone_of(api_url: str, host: str, default_zone: str) -> str:
    """The availability zone of ``host``."""
    return db_aggregates.zone_of_hosts(api_url, [host]).get(host, default_zone)
