"""Services, hypervisors and availability zones, read from every cell DB in parallel.

A compute service is up while its liveness key is in Redis (the conductor refreshes it
on every heartbeat) and it is not forced down; other services are up while their
``last_seen_up`` is recent.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from api_cell.api import errors
from api_cell.api.domain.backends import Backends
from common import liveness
from common.placement_client import PlacementError
from db import errors as db_errors
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
    """``call(cell_url, *args)`` in every cell at once; 503 if any cell fails or is late."""
    futures = {backends.pool.submit(call, cell.database_connection, *args): cell
               for cell in _real_cells(backends)}
    done, _late = concurrent.futures.wait(futures, timeout=backends.cell_timeout)
    results = []
    for future, cell in futures.items():
        if future not in done or future.exception() is not None:
            LOG.warning("cell %s did not answer: %s", cell.name,
                        future.exception() if future in done else "timeout")
            raise errors.CellUnavailable(f"Cell {cell.name} did not answer; try again later.")
        results.append((cell, future.result()))
    return results


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


def services(backends: Backends, host: str | None = None,
             binary: str | None = None) -> list[Service]:
    """Every service of every cell, optionally only of ``host``/``binary``."""
    per_cell = scatter(backends, _services_and_nodes)
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
    try:
        backends.write_in_cell(matches[0].cell, cell_hosts.delete_service,
                               matches[0].record.uuid)
    except db_errors.Conflict as error:
        raise errors.Conflict(f"Unable to delete compute service that is hosting "
                              f"instances: {matches[0].record.host}") from error


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
