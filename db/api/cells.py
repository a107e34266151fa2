"""Cell mappings: where each cell's database and task stream live."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid as uuidlib

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.api.models import CellMapping
from db.engine import session_for

CELL0_UUID = "00000000-0000-0000-0000-000000000000"
CELL0_NAME = "cell0"


@dataclasses.dataclass(frozen=True)
class Cell:
    """A cell mapping as the rest of Cellar sees it (detached from any session)."""

    id: int
    uuid: str
    name: str
    database_connection: str
    queue_url: str | None
    disabled: bool

    @property
    def is_cell0(self) -> bool:
        return self.uuid == CELL0_UUID


def _cell(row: CellMapping) -> Cell:
    return Cell(id=row.id, uuid=row.uuid, name=row.name,
                database_connection=row.database_connection, queue_url=row.queue_url,
                disabled=row.disabled)


def create(api_url: str, name: str, database_connection: str, queue_url: str | None = None,
           cell_uuid: str | None = None, disabled: bool = False) -> Cell:
    """Add a cell mapping; Duplicate if the name or uuid is taken."""
    row = CellMapping(uuid=cell_uuid or str(uuidlib.uuid4()), name=name,
                      database_connection=database_connection, queue_url=queue_url,
                      disabled=disabled)
    try:
        with session_for(api_url) as session:
            session.add(row)
            session.flush()
            return _cell(row)
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"a cell named {name!r} or with that uuid exists") from error


def list_all(api_url: str) -> list[Cell]:
    """Every cell mapping, cell0 first, then by name."""
    with session_for(api_url) as session:
        rows = session.scalars(sa.select(CellMapping).order_by(CellMapping.id)).all()
        cells = [_cell(r) for r in rows]
    return sorted(cells, key=lambda c: (not c.is_cell0, c.name))


def get(api_url: str, name_or_uuid: str) -> Cell:
    """The cell with that name or uuid; NotFound otherwise."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(CellMapping).where(sa.or_(
            CellMapping.name == name_or_uuid, CellMapping.uuid == name_or_uuid))).first()
        if row is None:
            raise errors.NotFound(f"no cell named {name_or_uuid!r}")
        return _cell(row)


def update(api_url: str, name_or_uuid: str, **values: object) -> Cell:
    """Change a cell mapping's name, database_connection, queue_url or disabled flag."""
    allowed = {"name", "database_connection", "queue_url", "disabled"}
    if not values or set(values) - allowed:
        raise ValueError(f"can only update {sorted(allowed)}")
    cell = get(api_url, name_or_uuid)
    try:
        with session_for(api_url) as session:
            session.execute(sa.update(CellMapping).where(CellMapping.id == cell.id)
                            .values(**values))
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"a cell named {values.get('name')!r} exists") from error
    return get(api_url, cell.uuid)


def delete(api_url: str, cell_uuid: str) -> None:
    """Remove a cell mapping (the caller checks it holds no hosts or instances)."""
    with session_for(api_url) as session:
        session.execute(sa.delete(CellMapping).where(CellMapping.uuid == cell_uuid))


class CellCache:
    """Cell mappings as a process sees them, re-read from the API DB every ``max_age`` s.

    Every long-running process holds one, so a new, changed, disabled or removed cell
    takes effect everywhere within ``max_age`` seconds without a restart.
    """

    def __init__(self, api_url: str, max_age: float = 2.0) -> None:
        self.api_url = api_url
        self.max_age = max_age
        self._cells: list[Cell] = []
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def cells(self) -> list[Cell]:
        """All cells, refreshed if the copy is older than ``max_age``."""
        if time.monotonic() - self._read_at > self.max_age:
            with self._lock:
                if time.monotonic() - self._read_at > self.max_age:
                    self._cells = list_all(self.api_url)
                    self._read_at = time.monotonic()
        return self._cells

    def by_id(self, cell_id: int) -> Cell:
        """The cell with database id ``cell_id``; NotFound if it is gone."""
        for cell in self.cells():
            if cell.id == cell_id:
                return cell
        raise errors.NotFound(f"no cell with id {cell_id}")

    def by_uuid(self, cell_uuid: str) -> Cell:
        """The cell with ``cell_uuid``; NotFound if it is gone."""
        for cell in self.cells():
            if cell.uuid == cell_uuid:
                return cell
        raise errors.NotFound(f"no cell {cell_uuid}")

    def cell0(self) -> Cell:
        """Cell0, where instances that never reached a host are kept."""
        return self.by_uuid(CELL0_UUID)
