"""Host mappings: which cell each compute host belongs to."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.api.models import CellMapping, HostMapping
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class Host:
    """A host mapping."""

    host: str
    cell_uuid: str
    cell_name: str


def ensure(api_url: str, host: str, cell_uuid: str) -> Host:
    """Map ``host`` to the cell; idempotent. Conflict if it is mapped to another cell."""
    with session_for(api_url) as session:
        cell_id = session.scalar(sa.select(CellMapping.id).where(CellMapping.uuid == cell_uuid))
        if cell_id is None:
            raise errors.NotFound(f"no cell {cell_uuid}")
    try:
        with session_for(api_url) as session:
            session.add(HostMapping(host=host, cell_id=cell_id))
    except exc.IntegrityError:
        pass
    found = get(api_url, host)
    if found.cell_uuid != cell_uuid:
        raise errors.Conflict(f"host {host} is mapped to cell {found.cell_name}")
    return found


def get(api_url: str, host: str) -> Host:
    """The mapping of ``host``; NotFound if the host is unknown."""
    with session_for(api_url) as session:
        row = session.execute(
            sa.select(HostMapping.host, CellMapping.uuid, CellMapping.name)
            .join(CellMapping, HostMapping.cell_id == CellMapping.id)
            .where(HostMapping.host == host)).first()
    if row is None:
        raise errors.NotFound(f"host {host} is not mapped to a cell")
    return Host(*row)


def list_all(api_url: str, cell_uuid: str | None = None) -> list[Host]:
    """Every host mapping (of one cell if ``cell_uuid`` is given), by host name."""
    query = (sa.select(HostMapping.host, CellMapping.uuid, CellMapping.name)
             .join(CellMapping, HostMapping.cell_id == CellMapping.id)
             .order_by(HostMapping.host))
    if cell_uuid:
        query = query.where(CellMapping.uuid == cell_uuid)
    with session_for(api_url) as session:
        return [Host(*row) for row in session.execute(query)]


def delete(api_url: str, host: str) -> None:
    """Remove the mapping of ``host``; NotFound if it has none."""
    with session_for(api_url) as session:
        if session.execute(sa.delete(HostMapping).where(HostMapping.host == host)).rowcount != 1:
            raise errors.NotFound(f"host {host} is not mapped to a cell")
