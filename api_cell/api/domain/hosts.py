"""Services, hypervisors and availability zones, read from every cell DB in parallel.

A compute service is up while its liveness key is in Redis (the conductor refreshes it
on every heartbeat) and it is not forced down; other services are up while their
``last_seen_up`` is recent.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from api_cell.api import errors
from api_cell.api.domain.backends import Backends
from common import liveness
from common.placement_client import PlacementError
from db import errors as db_errors
from db.api import aggregates as db_aggregates
from db.api import hosts as db_hosts
from db.api.cells import Cell
from db.base import utcnow
from db.cell import hypervisors as cell_hosts
from db.cell.hypervisors import NodeRecord, ServiceRecord

LOG = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_ZONE = "nova"
INTERNAL_ZONE = "internal"
COMPUTE_BINARY = "cellar-compute"
# A non-compute service is up if it reported within this many seconds.
SERVICE_DOWN_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class Service:
    cell: Cell
    record: ServiceRecord
    up: bool

    @property
    def zone(self) -> str:
        return DEFAULT_ZONE if self.record.binary == COMPUTE_BINARY else INTERNAL_ZONE


@dataclasses.dataclass(frozen=True)
class Hypervisor:
    cell: Cell
    node: NodeRecord
    up: bool
    usage: dict[str, int]


def _real_cells(backends: Backends) -> list[Cell]:
    return [cell for cell in backends.cells.cells() if not cell.is_cell0]


def scatter(backends: Backends, call: Callable[..., T], *args: Any
            ) -> list[tuple[Cell, T]]:
    """``call(cell_url, *args)`` in every cell at once; 503 if any cell is down, fails
    or is late (see Backends.read_cells)."""
    answered, missing = _gather(backends, call, *args)
    if missing:
        raise errors.CellUnavailable(f"Cell {missing[0].name} did not answer; try again "
                                     "later.")
    return answered


def _gather(backends: Backends, call: Callable[..., T], *args: Any
            ) -> tuple[list[tuple[Cell, T]], list[Cell]]:
    """``call(cell_url, *args)`` in every cell at once: the answers, and the cells that
    gave none."""
    cells = _real_cells(backends)
    answers, missing = backends.read_cells(
        {cell: functools.partial(_call_with_url, call, args) for cell in cells})
    return [(cell, answers[cell.uuid]) for cell in cells if cell.uuid in answers], missing


def _call_with_url(call: Callable[..., T], args: tuple[Any, ...], cell_url: str) -> T:
    return call(cell_url, *args)


def _live_nodes(backends: Backends, node_uuids: list[str]) -> set[str]:
    try:
        return set(liveness.live_nodes(backends.redis(), backends.key_prefix, node_uuids))
    except OSError as error:
        raise errors.ServiceUnavailable("Redis did not answer; try again later.") from error


def _is_up(record: ServiceRecord, live: bool) -> bool:
    if record.forced_down:
        return False
    if record.binary == COMPUTE_BINARY:
        return live
    if record.last_seen_up is None:
        return False
    return utcnow() - record.last_seen_up < datetime.timedelta(seconds=SERVICE_DOWN_SECONDS)


@dataclasses.dataclass(frozen=True)
class UnknownService:
    """A compute service in a cell that did not answer (2.69): its host is known from
    the API DB's host mappings, nothing else."""

    host: str
    binary: str = COMPUTE_BINARY


def services_or_minimal(backends: Backends, host: str | None = None,
                        binary: str | None = None) -> list[Service | UnknownService]:
    """Like ``services``, but a cell that does not answer gives an UnknownService per
    compute host mapped to it instead of a 503 (its other services are left out)."""
    per_cell, missing = _gather(backends, _services_and_nodes)
    found: list[Service | UnknownService] = list(
        _services_of(backends, per_cell, host, binary))
    if binary not in (None, COMPUTE_BINARY):
        return found
    for cell in missing:
        found += [UnknownService(mapped.host)
                  for mapped in db_hosts.list_all(backends.api_url, cell.uuid)
                  if host is None or mapped.host == host]
    return found


def services(backends: Backends, host: str | None = None,
             binary: str | None = None) -> list[Service]:
    """Every service of every cell, optionally only of ``host``/``binary``."""
    return _services_of(backends, scatter(backends, _services_and_nodes), host, binary)


def _services_of(backends: Backends, per_cell: list, host: str | None,
                 binary: str | None) -> list[Service]:
    node_of = {(cell.id, n.host): n.uuid for cell, (_s, nodes) in per_cell for n in nodes}
    live = _live_nodes(backends, list(node_of.values()))
    found = []
    for cell, (records, _nodes) in per_cell:
        for record in records:
            if host is not None and record.host != host:
                continue
            if binary is not None and record.binary != binary:
                continue
            node = node_of.get((cell.id, record.host))
            found.append(Service(cell, record, _is_up(record, node in live)))
    return found


def availability_zones(backends: Backends) -> dict[str, list[Service]]:
    """Every service by availability zone: a compute service is in its host's zone
    (from the host aggregates, else the default zone), any other in the internal one."""
    zone_of = db_aggregates.zone_of_hosts(backends.api_url)
    zones: dict[str, list[Service]] = {}
    for service in services(backends):
        zone = (zone_of.get(service.record.host, backends.default_zone)
                if service.record.binary == COMPUTE_BINARY else INTERNAL_ZONE)
        zones.setdefault(zone, []).append(service)
    return zones


def _services_and_nodes(cell_url: str):
    return cell_hosts.services(cell_url), cell_hosts.nodes(cell_url)


def find_service(backends: Backends, host: str, binary: str) -> Service:
    matches = services(backends, host=host, binary=binary)
    if not matches:
        raise errors.NotFound(f"Host '{host}' is not mapped to any cell")
    return matches[0]


def update_service(backends: Backends, service: Service, **values: Any) -> ServiceRecord:
    try:
        return backends.write_in_cell(service.cell, cell_hosts.update_service,
                                      service.record.uuid, **values)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Service {service.record.id} could not be found.") from error


def delete_service(backends: Backends, service_id: str) -> None:
    """Delete a service by its id (an integer, unique only within a cell)."""
    matches = [s for s in services(backends) if str(s.record.id) == service_id]
    if not matches:
        raise errors.NotFound(f"Service {service_id} could not be found.")
    if len(matches) > 1:
        raise errors.BadRequest(f"Service id {service_id} refers to multiple services.")
    _delete(backends, matches[0])


def service_by_uuid(backends: Backends, service_uuid: str) -> Service:
    """The service with that uuid (its id from 2.53), in whichever cell; NotFound else."""
    for service in services(backends):
        if service.record.uuid == service_uuid:
            return service
    raise errors.NotFound(f"Service {service_uuid} could not be found.")


def delete_service_by_uuid(backends: Backends, service_uuid: str) -> None:
    """Delete a service named by its uuid (2.53)."""
    _delete(backends, service_by_uuid(backends, service_uuid))


def _delete(backends: Backends, service: Service) -> None:
    try:
        backends.write_in_cell(service.cell, cell_hosts.delete_service, service.record.uuid)
    except db_errors.Conflict as error:
        raise errors.Conflict(f"Unable to delete compute service that is hosting "
                              f"instances: {service.record.host}") from error


def hypervisors(backends: Backends, with_usage: bool) -> list[Hypervisor]:
    """Every compute node of every cell, with its placement usage if asked."""
    per_cell = scatter(backends, cell_hosts.nodes)
    live = _live_nodes(backends, [n.uuid for _c, nodes in per_cell for n in nodes])
    found = []
    for cell, nodes in per_cell:
        for node in nodes:
            up = node.service is not None and _is_up(node.service, node.uuid in live)
            found.append(Hypervisor(cell, node, up, _usage(backends, node.uuid)
                                    if with_usage else {}))
    return found


def _usage(backends: Backends, node_uuid: str) -> dict[str, int]:
    if backends.placement is None:
        return {}
    try:
        return backends.placement.provider_usages(node_uuid)
    except (PlacementError, OSError) as error:
        LOG.warning("no usages of %s from placement: %s", node_uuid, error)
        return {}


def servers_on(backends: Backends, hypervisor: Hypervisor) -> list[tuple[str, str]]:
    return backends.in_cell(hypervisor.cell, cell_hosts.instances_on,
                            [hypervisor.node.host])[hypervisor.node.host]


def host_statuses(backends: Backends, hosts_wanted: list[str]) -> dict[str, str]:
    """UP, DOWN, MAINTENANCE (disabled) or UNKNOWN for each listed host (2.16)."""
    by_cell: dict[str, list[str]] = {}
    statuses = {host: "UNKNOWN" for host in hosts_wanted}
    for host in set(hosts_wanted):
        try:
            by_cell.setdefault(db_hosts.get(backends.api_url, host).cell_uuid, []).append(host)
        except db_errors.NotFound:
            continue
    for cell_uuid, names in by_cell.items():
        try:
            cell = backends.cells.by_uuid(cell_uuid)
            nodes = backends.in_cell(cell, cell_hosts.nodes_on, names)
        except (db_errors.NotFound, errors.CellUnavailable):
            continue
        try:
            live = _live_nodes(backends, [n.uuid for n in nodes.values()])
        except errors.ServiceUnavailable:
            continue
        for host, node in nodes.items():
            service = node.service
            if service is None:
                continue
            if service.forced_down or node.uuid not in live:
                statuses[host] = "DOWN"
            elif service.disabled:
                statuses[host] = "MAINTENANCE"
            else:
                statuses[host] = "UP"
    return statuses


def destination(backends: Backends, host: str | None, node: str | None) -> dict[str, str]:
    """Where an admin asked a new server to go (2.74): the host and its node's uuid.

    ``node`` is a hypervisor_hostname. BadRequest if no compute node matches both.
    """
    nodes = [h.node for h in hypervisors(backends, False)]
    if host is not None and not any(n.host == host for n in nodes):
        raise errors.BadRequest(f"Compute host {host} could not be found.")
    found = [n for n in nodes if (host is None or n.host == host)
             and (node is None or n.hypervisor_hostname == node)]
    if not found:
        raise errors.BadRequest(f"Compute host {node} could not be found.")
    chosen = {"host": found[0].host}
    if node is not None:
        chosen["node"] = found[0].uuid
    return chosen
