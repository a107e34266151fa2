"""Services and compute nodes of a cell as the compute API reads and changes them."""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa

from db import errors
from db.cell.models import ComputeNode, Instance, Service
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class ServiceRecord:
    id: int
    uuid: str
    host: str
    binary: str
    disabled: bool
    disabled_reason: str | None
    forced_down: bool
    last_seen_up: datetime.datetime | None
    updated_at: datetime.datetime | None


@dataclasses.dataclass(frozen=True)
class NodeRecord:
    id: int
    uuid: str
    host: str
    hypervisor_hostname: str
    hypervisor_type: str
    vcpus: int
    memory_mb: int
    local_gb: int
    rpc_address: str
    service: ServiceRecord | None


def _service(row: Service) -> ServiceRecord:
    return ServiceRecord(row.id, row.uuid, row.host, row.binary, row.disabled,
                         row.disabled_reason, row.forced_down, row.last_seen_up,
                         row.updated_at)


def services(cell_url: str) -> list[ServiceRecord]:
    """Every service of the cell."""
    with session_for(cell_url) as session:
        return [_service(r) for r in session.scalars(sa.select(Service).order_by(Service.id))]


def services_on(cell_url: str, hosts: list[str]) -> dict[str, ServiceRecord]:
    """The compute service of each listed host that has one."""
    if not hosts:
        return {}
    with session_for(cell_url) as session:
        rows = session.scalars(sa.select(Service).where(
            Service.host.in_(hosts), Service.binary == "cellar-compute")).all()
        return {row.host: _service(row) for row in rows}


def get_service(cell_url: str, service_uuid: str) -> ServiceRecord:
    """The service ``service_uuid``; NotFound otherwise."""
    with session_for(cell_url) as session:
        row = session.scalars(sa.select(Service).where(Service.uuid == service_uuid)).first()
        if row is None:
            raise errors.NotFound(f"Service {service_uuid} could not be found.")
        return _service(row)


def update_service(cell_url: str, service_uuid: str, **values: object) -> ServiceRecord:
    """Change disabled, disabled_reason or forced_down of a service; NotFound if absent."""
    allowed = {"disabled", "disabled_reason", "forced_down"}
    if set(values) - allowed:
        raise ValueError(f"can only update {sorted(allowed)}")
    with session_for(cell_url) as session:
        if values and not session.execute(sa.update(Service).where(
                Service.uuid == service_uuid).values(**values)).rowcount:
            raise errors.NotFound(f"Service {service_uuid} could not be found.")
    return get_service(cell_url, service_uuid)


def delete_service(cell_url: str, service_uuid: str) -> ServiceRecord:
    """Remove a service and its compute node; Conflict if the host still has instances."""
    with session_for(cell_url) as session:
        row = session.scalars(sa.select(Service).where(
            Service.uuid == service_uuid).with_for_update()).first()
        if row is None:
            raise errors.NotFound(f"Service {service_uuid} could not be found.")
        record = _service(row)
        if row.binary == "cellar-compute":
            live = session.scalar(sa.select(sa.func.count()).select_from(Instance).where(
                Instance.host == row.host, Instance.deleted == 0))
            if live:
                raise errors.Conflict(f"host {row.host} has {live} instances")
        session.execute(sa.delete(ComputeNode).where(ComputeNode.service_id == row.id))
        session.execute(sa.delete(Service).where(Service.id == row.id))
    return record


def nodes(cell_url: str) -> list[NodeRecord]:
    """Every compute node with its service."""
    with session_for(cell_url) as session:
        rows = session.execute(sa.select(ComputeNode, Service).outerjoin(
            Service, Service.id == ComputeNode.service_id).order_by(ComputeNode.id)).all()
        return [NodeRecord(n.id, n.uuid, n.host, n.hypervisor_hostname, n.hypervisor_type,
                           n.vcpus, n.memory_mb, n.local_gb, n.rpc_address,
                           _service(s) if s is not None else None) for n, s in rows]


def instances_on(cell_url: str, hosts: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(uuid, name) of the live instances of each listed host."""
    found: dict[str, list[tuple[str, str]]] = {host: [] for host in hosts}
    if not hosts:
        return found
    with session_for(cell_url) as session:
        for host, uuid, name in session.execute(
                sa.select(Instance.host, Instance.uuid, Instance.display_name).where(
                    Instance.host.in_(hosts), Instance.deleted == 0)
                .order_by(Instance.id)):
            found[host].append((uuid, name))
    return found


def hosts_of(cell_url: str, uuids: list[str]) -> dict[str, str]:
    """The host of each listed live instance that has one."""
    if not uuids:
        return {}
    with session_for(cell_url) as session:
        rows = session.execute(sa.select(Instance.uuid, Instance.host).where(
            Instance.uuid.in_(uuids), Instance.deleted == 0,
            Instance.host.is_not(None))).all()
    return {uuid: host for uuid, host in rows}


def nodes_on(cell_url: str, hosts: list[str]) -> dict[str, NodeRecord]:
    """The compute node (with its service) of each listed host that has one."""
    if not hosts:
        return {}
    with session_for(cell_url) as session:
        rows = session.execute(sa.select(ComputeNode, Service).outerjoin(
            Service, Service.id == ComputeNode.service_id).where(
                ComputeNode.host.in_(hosts))).all()
        return {n.host: NodeRecord(n.id, n.uuid, n.host, n.hypervisor_hostname,
                                   n.hypervisor_type, n.vcpus, n.memory_mb, n.local_gb,
                                   n.rpc_address,
                                   _service(s) if s is not None else None)
                for n, s in rows}
