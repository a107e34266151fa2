"""Services and compute nodes in a cell database.

A compute host is one ``services`` row (binary ``cellar-compute``) plus one
``compute_nodes`` row whose uuid is also the uuid of the host's resource provider.
Registration may run concurrently for the same host (an agent restarting while its
previous registration is still in flight, or two conductors): every write here is an
insert that falls back to an update when the unique key exists, so racers converge
on one row each.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.base import utcnow
from db.cell.models import ComputeNode, Service
from db.engine import session_for

COMPUTE_BINARY = "cellar-compute"


@dataclasses.dataclass(frozen=True)
class ComputeHost:
    """A registered compute host as the conductor sees it (detached from any session)."""

    host: str
    node_uuid: str
    rpc_address: str
    version: int
    disabled: bool
    last_seen_up: datetime.datetime | None


def _compute_host(service: Service, node: ComputeNode) -> ComputeHost:
    return ComputeHost(host=service.host, node_uuid=node.uuid, rpc_address=node.rpc_address,
                       version=service.version, disabled=service.disabled,
                       last_seen_up=service.last_seen_up)


def _ensure_service(cell_url: str, host: str, binary: str, version: int) -> None:
    now = utcnow()
    try:
        with session_for(cell_url) as session:
            session.add(Service(uuid=str(uuidlib.uuid4()), host=host, binary=binary,
                                version=version, last_seen_up=now))
        return
    except exc.IntegrityError:
        pass  # registered before (or by a racer): refresh the row instead
    with session_for(cell_url) as session:
        session.execute(sa.update(Service)
                        .where(Service.host == host, Service.binary == binary)
                        .values(version=version, last_seen_up=now))


def _ensure_node(cell_url: str, host: str, service_id: int, values: dict[str, Any]) -> None:
    try:
        with session_for(cell_url) as session:
            session.add(ComputeNode(uuid=str(uuidlib.uuid4()), host=host,
                                    service_id=service_id, **values))
        return
    except exc.IntegrityError:
        pass  # the host has a node already; it keeps its uuid
    with session_for(cell_url) as session:
        session.execute(sa.update(ComputeNode).where(ComputeNode.host == host)
                        .values(service_id=service_id, **values))


def register_compute(cell_url: str, host: str, rpc_address: str, version: int,
                     hypervisor_type: str, vcpus: int, memory_mb: int,
                     local_gb: int) -> ComputeHost:
    """Create or refresh the service and compute node of ``host``; idempotent.

    The node uuid is assigned on the first registration and never changes after.
    """
    _ensure_service(cell_url, host, COMPUTE_BINARY, version)
    with session_for(cell_url) as session:
        service_id = session.scalar(sa.select(Service.id).where(
            Service.host == host, Service.binary == COMPUTE_BINARY))
    _ensure_node(cell_url, host, service_id, {
        "hypervisor_hostname": host, "hypervisor_type": hypervisor_type, "vcpus": vcpus,
        "memory_mb": memory_mb, "local_gb": local_gb, "rpc_address": rpc_address})
    return get_compute(cell_url, host)


def get_compute(cell_url: str, host: str) -> ComputeHost:
    """The registered compute host ``host``; NotFound if it never registered."""
    with session_for(cell_url) as session:
        row = session.execute(
            sa.select(Service, ComputeNode)
            .join(ComputeNode, ComputeNode.service_id == Service.id)
            .where(Service.host == host, Service.binary == COMPUTE_BINARY)).first()
        if row is None:
            raise errors.NotFound(f"compute host {host} is not registered")
        return _compute_host(*row)


def heartbeat(cell_url: str, host: str) -> ComputeHost:
    """Count one report of ``host`` and stamp it as seen now; NotFound if unregistered."""
    with session_for(cell_url) as session:
        changed = session.execute(
            sa.update(Service)
            .where(Service.host == host, Service.binary == COMPUTE_BINARY)
            .values(report_count=Service.report_count + 1, last_seen_up=utcnow())).rowcount
    if not changed:
        raise errors.NotFound(f"compute host {host} is not registered")
    return get_compute(cell_url, host)



@dataclasses.dataclass(frozen=True)
class ComputeService:
    """A compute service row of a cell, as operators' tools see it."""

    host: str
    version: int
    disabled: bool
    last_seen_up: datetime.datetime | None


def compute_services(cell_url: str) -> list[ComputeService]:
    """Every compute service registered in the cell, by host."""
    with session_for(cell_url) as session:
        rows = session.scalars(sa.select(Service).where(Service.binary == COMPUTE_BINARY)
                               .order_by(Service.host)).all()
        return [ComputeService(r.host, r.version, r.disabled, r.last_seen_up) for r in rows]
