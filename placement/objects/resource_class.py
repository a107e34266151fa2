"""Resource classes: the standard ones from os-resource-classes, and CUSTOM_* ones."""

from __future__ import annotations

import os_resource_classes as orc
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from db.base import utcnow
from db.placement.models import CUSTOM_RC_ID_BASE
from placement import errors
from placement.objects.base import ALLOC, INV, RC, record_changes, transaction

STANDARD_IDS = {name: index for index, name in enumerate(orc.STANDARDS)}


def name_to_id(conn: sa.Connection) -> dict[str, int]:
    """Every resource class, by name."""
    mapping = dict(STANDARD_IDS)
    mapping.update({r.name: r.id for r in conn.execute(sa.select(RC.c.name, RC.c.id))})
    return mapping


def id_to_name(conn: sa.Connection) -> dict[int, str]:
    """Every resource class name, by id."""
    return {v: k for k, v in name_to_id(conn).items()}


def ids_for(conn: sa.Connection, names: list[str] | set[str],
            error: type[errors.PlacementError] = errors.BadRequest) -> dict[str, int]:
    """The ids of ``names``; ``error`` names the first unknown class."""
    known = name_to_id(conn)
    for name in sorted(names):
        if name not in known:
            raise error(f"Unknown resource class in request: {name}")
    return {name: known[name] for name in names}


def list_classes(url: str) -> list[dict]:
    """Every resource class, standard ones first."""
    with transaction(url) as conn:
        custom = conn.execute(sa.select(RC.c.name).order_by(RC.c.id)).scalars().all()
    return [{"name": name} for name in [*orc.STANDARDS, *custom]]


def get_class(url: str, name: str) -> dict:
    """The class ``name`` (with its modification time); NotFound if unknown."""
    if name in STANDARD_IDS:
        return {"name": name, "updated_at": None}
    with transaction(url) as conn:
        row = conn.execute(sa.select(RC).where(RC.c.name == name)).first()
    if row is None:
        raise errors.NotFound(f"No such resource class {name}.")
    return {"name": row.name, "updated_at": row.updated_at or row.created_at}


def create_class(url: str, name: str) -> None:
    """Create the custom class ``name``; DuplicateName if it exists."""
    if name in STANDARD_IDS:
        raise errors.DuplicateName(f"Conflicting resource class already exists: {name}")
    try:
        with transaction(url) as conn:
            _insert(conn, name)
    except sa_exc.IntegrityError:
        raise errors.DuplicateName(
            f"Conflicting resource class already exists: {name}") from None


def _insert(conn: sa.Connection, name: str) -> None:
    # Custom ids start at CUSTOM_RC_ID_BASE so they never meet the standard ids;
    # a concurrent insert of the same id fails on the primary key and is reported.
    highest = conn.execute(sa.select(sa.func.max(RC.c.id))).scalar()
    new_id = max(CUSTOM_RC_ID_BASE, (highest or 0) + 1)
    conn.execute(sa.insert(RC).values(id=new_id, name=name, created_at=utcnow()))
    record_changes(conn, [None])


def ensure_class(url: str, name: str) -> bool:
    """Create ``name`` unless it exists (PUT at 1.7); True when it was created."""
    if name in STANDARD_IDS:
        return False
    try:
        with transaction(url) as conn:
            if conn.execute(sa.select(RC.c.id).where(RC.c.name == name)).first():
                return False
            _insert(conn, name)
            return True
    except sa_exc.IntegrityError:
        return False


def rename_class(url: str, old: str, new: str) -> None:
    """Rename the custom class ``old`` to ``new`` (PUT before 1.7)."""
    if old in STANDARD_IDS:
        raise errors.BadRequest(f"Cannot update standard resource class {old}")
    try:
        with transaction(url) as conn:
            result = conn.execute(sa.update(RC).where(RC.c.name == old)
                                  .values(name=new, updated_at=utcnow()))
            if result.rowcount != 1:
                raise errors.NotFound(f"No such resource class {old}.")
            record_changes(conn, [None])
    except sa_exc.IntegrityError:
        raise errors.DuplicateName(
            f"Resource class already exists: {new}") from None


def delete_class(url: str, name: str) -> None:
    """Delete the custom class ``name``; Conflict while anything uses it."""
    if name in STANDARD_IDS:
        raise errors.BadRequest(f"Cannot delete standard resource class {name}")
    with transaction(url) as conn:
        rc_id = conn.execute(sa.select(RC.c.id).where(RC.c.name == name)).scalar()
        if rc_id is None:
            raise errors.NotFound(f"No such resource class {name}.")
        for table in (INV, ALLOC):
            if conn.execute(sa.select(table.c.id).where(table.c.resource_class_id == rc_id)
                            .limit(1)).first():
                raise errors.Conflict(
                    f"Unable to delete resource class {name}. The resource class is in use "
                    "in inventory or allocations.")
        conn.execute(sa.delete(RC).where(RC.c.id == rc_id))
        record_changes(conn, [None])

