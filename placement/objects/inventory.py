"""Inventories of resource providers."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from db.base import utcnow
from placement import errors
from placement.objects import resource_class
from placement.objects.base import ALLOC, INV, bump_generation, provider_row, transaction

LOG = logging.getLogger(__name__)
FIELDS = ("total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio")
DEFAULTS = {"reserved": 0, "min_unit": 1, "max_unit": 2147483647, "step_size": 1,
            "allocation_ratio": 1.0}


def with_defaults(inventory: dict) -> dict:
    """An inventory record with every field, defaults filled in."""
    return {field: inventory.get(field, DEFAULTS.get(field)) for field in FIELDS}


def check_record(name: str, inventory: dict, reserved_may_equal_total: bool) -> None:
    """Raise BadRequest for an inventory whose fields contradict each other."""
    total, reserved = inventory["total"], inventory["reserved"]
    if reserved > total or (reserved == total and not reserved_may_equal_total):
        raise errors.BadRequest(
            f"Unable to update inventory for resource provider: reserved of {name} "
            f"({reserved}) must be {'at most' if reserved_may_equal_total else 'less than'} "
            f"total ({total}).")
    if inventory["min_unit"] > inventory["max_unit"]:
        raise errors.BadRequest(
            f"Unable to update inventory for {name}: min_unit ({inventory['min_unit']}) "
            f"is greater than max_unit ({inventory['max_unit']}).")


def _read(conn: sa.Connection, provider_id: int) -> dict[str, dict]:
    names = resource_class.id_to_name(conn)
    rows = conn.execute(sa.select(INV).where(INV.c.resource_provider_id == provider_id)).all()
    return {names[r.resource_class_id]: {f: getattr(r, f) for f in FIELDS} for r in rows}


def get_inventories(url: str, uuid: str) -> tuple[int, dict[str, dict]]:
    """The provider's generation and its inventories by class."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        return row.generation, _read(conn, row.id)


def get_in(conn: sa.Connection, uuid: str) -> dict[str, dict]:
    """The provider's inventories inside ``conn``'s transaction."""
    return _read(conn, provider_row(conn, uuid).id)


def get_inventory(url: str, uuid: str, rc_name: str) -> tuple[int, dict]:
    """The provider's generation and its inventory of ``rc_name``."""
    generation, inventories = get_inventories(url, uuid)
    if rc_name not in inventories:
        raise errors.NotFound(
            f"No inventory of class {rc_name} found for resource provider {uuid}")
    return generation, inventories[rc_name]


def set_inventories(url: str, uuid: str, generation: int | None,
                    inventories: dict[str, dict]) -> tuple[int, dict[str, dict]]:
    """Replace the provider's whole inventory (``generation`` None: skip the check)."""
    with transaction(url) as conn:
        return replace_in(conn, uuid, generation, inventories)


def replace_in(conn: sa.Connection, uuid: str, generation: int | None,
               inventories: dict[str, dict]) -> tuple[int, dict[str, dict]]:
    """Replace the provider's inventory inside ``conn``'s transaction."""
    row = provider_row(conn, uuid)
    if generation is not None and generation != row.generation:
        raise errors.ConcurrentUpdate(
            f"resource provider generation conflict: expected {generation}, "
            f"found {row.generation}")
    ids = resource_class.ids_for(conn, set(inventories))
    current = _read(conn, row.id)
    removed = resource_class.ids_for(conn, set(current) - set(inventories))
    _refuse_if_in_use(conn, row.id, uuid, removed)
    now = utcnow()
    for name, record in inventories.items():
        if name in current:
            if current[name] != record:
                conn.execute(sa.update(INV).where(INV.c.resource_provider_id == row.id,
                                                  INV.c.resource_class_id == ids[name])
                             .values(updated_at=now, **record))
        else:
            conn.execute(sa.insert(INV).values(resource_provider_id=row.id,
                                               resource_class_id=ids[name],
                                               created_at=now, **record))
    if removed:
        conn.execute(sa.delete(INV).where(INV.c.resource_provider_id == row.id,
                                          INV.c.resource_class_id.in_(removed.values())))
    _warn_over_capacity(conn, row.id, uuid)
    new_generation = bump_generation(conn, row.id, row.generation)
    return new_generation, _read(conn, row.id)


def _refuse_if_in_use(conn: sa.Connection, provider_id: int, uuid: str,
                      classes: dict[str, int]) -> None:
    if not classes:
        return
    in_use = conn.execute(
        sa.select(ALLOC.c.resource_class_id).distinct()
        .where(ALLOC.c.resource_provider_id == provider_id,
               ALLOC.c.resource_class_id.in_(sorted(classes.values())))).scalars().all()
    if in_use:
        names = sorted(n for n, i in classes.items() if i in set(in_use))
        raise errors.InventoryInUse(
            f"Inventory for {', '.join(names)} on resource provider {uuid} in use.")


def _warn_over_capacity(conn: sa.Connection, provider_id: int, uuid: str) -> None:
    # Like upstream, shrinking below current usage is allowed (the host lost
    # resources); only new allocations are refused. Say so in the log.
    used = (sa.select(ALLOC.c.resource_class_id, sa.func.sum(ALLOC.c.used).label("used"))
            .where(ALLOC.c.resource_provider_id == provider_id)
            .group_by(ALLOC.c.resource_class_id).subquery())
    over = conn.execute(
        sa.select(INV.c.resource_class_id)
        .join(used, used.c.resource_class_id == INV.c.resource_class_id)
        .where(INV.c.resource_provider_id == provider_id,
               (INV.c.total - INV.c.reserved) * INV.c.allocation_ratio < used.c.used)).all()
    if over:
        LOG.warning("resource provider %s is now over capacity", uuid)


def set_inventory(url: str, uuid: str, rc_name: str, generation: int,
                  record: dict) -> tuple[int, dict]:
    """Create or replace the provider's inventory of one class."""
    with transaction(url) as conn:
        current = _read(conn, provider_row(conn, uuid).id)
        current[rc_name] = record
        new_generation, inventories = replace_in(conn, uuid, generation, current)
    return new_generation, inventories[rc_name]


def delete_inventory(url: str, uuid: str, rc_name: str) -> None:
    """Delete the provider's inventory of one class."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        current = _read(conn, row.id)
        if rc_name not in current:
            raise errors.NotFound(
                f"No inventory of class {rc_name} found for delete")
        del current[rc_name]
        replace_in(conn, uuid, row.generation, current)


def delete_inventories(url: str, uuid: str) -> None:
    """Delete all of the provider's inventory."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        replace_in(conn, uuid, row.generation, {})
