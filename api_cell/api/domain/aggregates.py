"""Host aggregates, their mirror in placement, and availability zones.

A host's availability zone is the ``availability_zone`` metadata of the aggregates that
hold it, else the default zone. Every aggregate a host is in is mirrored into the
placement aggregates of the host's compute node resource provider, so the scheduler can
ask placement for the hosts of a zone (``member_of``).

Adding or removing a host writes the API DB first, where the unique key settles
concurrent requests, then placement; if placement fails, the API DB change is undone
and the caller gets a 503, so the two never disagree for longer than the request.
"""

from __future__ import annotations

import dataclasses
import logging

from api_cell.api import errors
from api_cell.api.domain.backends import Backends
from common.placement_client import PlacementError
from db import errors as db_errors
from db.api import aggregates as db_aggregates
from db.api import hosts as db_hosts
from db.api.aggregates import AZ_KEY, AggregateRecord
from db.cell import hypervisors as cell_hosts

LOG = logging.getLogger(__name__)

# The zone of the services that are not compute services; no aggregate may use it.
INTERNAL_ZONE = "internal"


def list_all(backends: Backends) -> list[AggregateRecord]:
    """Every aggregate."""
    return db_aggregates.list_all(backends.api_url)


def get(backends: Backends, aggregate_id: str) -> AggregateRecord:
    """The aggregate of a path id; 400 if the id is not an integer, 404 if unknown."""
    try:
        return db_aggregates.get(backends.api_url, _integer_id(aggregate_id))
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Aggregate {aggregate_id} could not be found.") from error


def _integer_id(aggregate_id: str) -> int:
    # isdigit() alone takes '²', which int() refuses (a 500), and '١', which it reads.
    if not (aggregate_id.isascii() and aggregate_id.isdigit()):
        raise errors.BadRequest(f"Invalid aggregate id {aggregate_id}: it must be an "
                                "integer.")
    return int(aggregate_id)


def create(backends: Backends, name: str, zone: str | None) -> AggregateRecord:
    """A new aggregate, in ``zone`` if given; 409 if the name is taken."""
    name = name.strip()
    if zone is not None:
        zone = _checked_zone(zone)
    try:
        return db_aggregates.create(backends.api_url, name,
                                    {AZ_KEY: zone} if zone is not None else None)
    except db_errors.Duplicate as error:
        raise errors.Conflict(f"Aggregate {name} already exists.") from error


def update(backends: Backends, aggregate_id: str, name: str | None,
           zone: str | None, zone_given: bool) -> AggregateRecord:
    """Rename the aggregate and/or change its zone (null removes it); 400 if a host
    of it is in another zone through another aggregate, 409 if the name is taken."""
    aggregate = get(backends, aggregate_id)
    if zone_given and zone is not None:
        zone = _checked_zone(zone)
        _refuse_zone_conflict(backends, aggregate, zone, aggregate.hosts, errors.BadRequest)
    if name is not None:
        try:
            db_aggregates.rename(backends.api_url, aggregate.id, name.strip())
        except db_errors.Duplicate as error:
            raise errors.Conflict(f"Aggregate {name.strip()} already exists.") from error
    if zone_given:
        db_aggregates.update_metadata(backends.api_url, aggregate.id, {AZ_KEY: zone})
    return get(backends, aggregate_id)


def set_metadata(backends: Backends, aggregate_id: str,
                 changes: dict[str, str | None]) -> AggregateRecord:
    """Set metadata keys (a null value removes one); ``availability_zone`` moves the
    aggregate's hosts to that zone, refused (400) if that splits a host over two."""
    aggregate = get(backends, aggregate_id)
    zone = changes.get(AZ_KEY)
    if zone is not None:
        changes = {**changes, AZ_KEY: _checked_zone(zone)}
        _refuse_zone_conflict(backends, aggregate, changes[AZ_KEY], aggregate.hosts,
                              errors.BadRequest)
    db_aggregates.update_metadata(backends.api_url, aggregate.id, changes)
    return get(backends, aggregate_id)


def delete(backends: Backends, aggregate_id: str) -> None:
    """Delete an aggregate; 400 while it has hosts."""
    aggregate = get(backends, aggregate_id)
    try:
        db_aggregates.delete(backends.api_url, aggregate.id)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Aggregate {aggregate_id} could not be found.") from error
    except db_errors.Conflict as error:
        raise errors.BadRequest(f"Cannot delete aggregate {aggregate_id}: host aggregate "
                                "is not empty.") from error


def add_host(backends: Backends, aggregate_id: str, host: str) -> AggregateRecord:
    """Put a compute host in the aggregate and its provider in the placement aggregate.

    404 for an unknown host; 409 if it is in the aggregate already, or in another zone
    through another aggregate; 503 if placement did not take it (nothing changed).
    """
    aggregate = get(backends, aggregate_id)
    mapping = _mapped(backends, host)
    if aggregate.availability_zone is not None:
        _refuse_zone_conflict(backends, aggregate, aggregate.availability_zone, [host],
                              errors.Conflict)
    try:
        db_aggregates.add_host(backends.api_url, aggregate.id, host)
    except db_errors.Duplicate as error:
        raise errors.Conflict(f"Aggregate {aggregate_id} already has host {host}.") \
            from error
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Aggregate {aggregate_id} could not be found.") from error
    try:
        _mirror(backends, mapping, add=aggregate.uuid)
    except errors.APIError:
        db_aggregates.remove_host(backends.api_url, aggregate.id, host)
        raise
    return get(backends, aggregate_id)


def remove_host(backends: Backends, aggregate_id: str, host: str) -> AggregateRecord:
    """Take a host out of the aggregate and its provider out of the placement aggregate.

    404 for a host the aggregate does not hold (as Nova); 503 if placement did not let
    go of it (nothing changed). A host unmapped since it was added is only taken out of
    the aggregate: there is no compute node left to find its provider by.
    """
    aggregate = get(backends, aggregate_id)
    try:
        mapping = db_hosts.get(backends.api_url, host)
    except db_errors.NotFound:
        mapping = None
    try:
        db_aggregates.remove_host(backends.api_url, aggregate.id, host)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Cannot remove host {host} in aggregate {aggregate_id}: "
                              "it is not in the aggregate.") from error
    if mapping is None:
        LOG.warning("removed unmapped host %s from aggregate %s; its placement "
                    "aggregates are left as they are", host, aggregate.uuid)
        return get(backends, aggregate_id)
    try:
        _mirror(backends, mapping, remove=aggregate.uuid)
    except errors.APIError:
        db_aggregates.add_host(backends.api_url, aggregate.id, host)
        raise
    return get(backends, aggregate_id)


def _mapped(backends: Backends, host: str) -> db_hosts.Host:
    try:
        return db_hosts.get(backends.api_url, host)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Compute host {host} could not be found.") from error


def _checked_zone(zone: str) -> str:
    zone = zone.strip()
    if not zone:
        raise errors.BadRequest("An aggregate's availability zone cannot be empty.")
    if ":" in zone:
        raise errors.BadRequest(f"Invalid availability zone {zone}: ':' is not allowed.")
    if zone == INTERNAL_ZONE:
        raise errors.BadRequest(f"The availability zone {INTERNAL_ZONE} is reserved for "
                                "services other than compute.")
    return zone


def _refuse_zone_conflict(backends: Backends, aggregate: AggregateRecord, zone: str,
                          hosts: tuple[str, ...] | list[str],
                          error: type[errors.APIError]) -> None:
    """``error`` if one of ``hosts`` is in another aggregate of a zone other than
    ``zone``: a host is in one zone only."""
    others = sorted({other.availability_zone
                     for other in db_aggregates.of_hosts(backends.api_url, hosts)
                     if other.id != aggregate.id and other.availability_zone is not None
                     and other.availability_zone != zone})
    if others:
        raise error(f"Cannot change aggregate {aggregate.id}: one or more hosts are "
                    f"already in availability zone(s) {', '.join(others)}.")


def _mirror(backends: Backends, mapping: db_hosts.Host, add: str | None = None,
            remove: str | None = None) -> None:
    """Add or remove one aggregate uuid on the host's compute node provider."""
    host = mapping.host
    try:
        cell = backends.cells.by_uuid(mapping.cell_uuid)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Compute host {host} could not be found.") from error
    node = backends.in_cell(cell, cell_hosts.nodes_on, [host]).get(host)
    if node is None:
        # Registration creates the node with the mapping; a host without one has no
        # provider either, so there is nothing placement could schedule to.
        LOG.warning("host %s has no compute node; no placement aggregate to change", host)
        return
    try:
        backends.placement.change_provider_aggregates(
            node.uuid, add=(add,) if add else (), remove=(remove,) if remove else ())
    except PlacementError as error:
        if remove and error.status == 404:
            return  # the provider is gone, and with it its aggregates
        raise _placement_failed(host, error) from error
    except OSError as error:
        raise _placement_failed(host, error) from error


def _placement_failed(host: str, error: Exception) -> errors.ServiceUnavailable:
    LOG.warning("placement did not change the aggregates of host %s: %s", host, error)
    return errors.ServiceUnavailable(
        f"Placement did not change the aggregates of the resource provider of host "
        f"{host}, so the aggregate was left as it was; try again later. ({error})")


@dataclasses.dataclass(frozen=True)
class RequestedZone:
    """What ``availability_zone`` asks of server create: a zone, and for admins
    (``zone:host`` or ``zone:host:node``, either part may be empty) a host and node."""

    zone: str | None
    host: str | None = None
    node: str | None = None

    @property
    def forces_host(self) -> bool:
        return self.host is not None or self.node is not None


def parse_requested_zone(text: str | None) -> RequestedZone:
    """Split ``zone[:host[:node]]``; 400 for more parts."""
    if text is None:
        return RequestedZone(None)
    parts = text.split(":")
    if len(parts) > 3:
        raise errors.BadRequest(f"Invalid availability zone {text}: expected "
                                "zone, zone:host or zone:host:node.")
    zone, host, node = (parts + [""] * 2)[:3]
    return RequestedZone(zone or None, host or None, node or None)


def check_zone(backends: Backends, zone: str | None) -> None:
    """400 unless ``zone`` is the default zone or the zone of an aggregate with hosts."""
    if zone is None or zone == backends.default_zone:
        return
    if not db_aggregates.zone_aggregates(backends.api_url, zone):
        raise errors.BadRequest("The requested availability zone is not available")


def zones_of_hosts(backends: Backends, hosts: list[str]) -> dict[str, str]:
    """The availability zone of each of ``hosts``."""
    found = db_aggregates.zone_of_hosts(backends.api_url, hosts)
    return {host: found.get(host, backends.default_zone) for host in hosts}
