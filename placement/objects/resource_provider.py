"""Resource providers and their trees."""

from __future__ import annotations

import dataclasses
import logging
import uuid as uuidlib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from db.base import utcnow
from placement import errors
from placement.objects import filters, resource_class
from placement.objects.base import (
    ALLOC,
    INV,
    RP,
    RP_AGG,
    RP_TRAIT,
    is_duplicate,
    provider_row,
    record_changes,
    transaction,
)

LOG = logging.getLogger(__name__)
_PARENT = RP.alias("parent")
_ROOT = RP.alias("root")
# Marks "the request did not mention the parent", unlike None ("no parent").
UNSET = object()


@dataclasses.dataclass
class ProviderQuery:
    """Filters of GET /resource_providers; empty ones do not filter."""

    uuid: str | None = None
    name: str | None = None
    in_tree: str | None = None
    member_of: filters.AggregateFilter = dataclasses.field(
        default_factory=filters.AggregateFilter)
    resources: dict[str, int] = dataclasses.field(default_factory=dict)
    traits: filters.TraitFilter = dataclasses.field(default_factory=filters.TraitFilter)


def _select() -> sa.Select:
    return (sa.select(RP, _PARENT.c.uuid.label("parent_uuid"), _ROOT.c.uuid.label("root_uuid"))
            .outerjoin(_PARENT, _PARENT.c.id == RP.c.parent_provider_id)
            .outerjoin(_ROOT, _ROOT.c.id == RP.c.root_provider_id))


def _as_dict(row: sa.Row) -> dict:
    return {"uuid": row.uuid, "name": row.name, "generation": row.generation,
            "parent_provider_uuid": row.parent_uuid, "root_provider_uuid": row.root_uuid,
            "updated_at": row.updated_at or row.created_at}


def get_provider(url: str, uuid: str) -> dict:
    """The provider ``uuid``; NotFound if it does not exist."""
    with transaction(url) as conn:
        row = conn.execute(_select().where(RP.c.uuid == uuid)).first()
    if row is None:
        raise errors.NotFound(f"No resource provider with uuid {uuid} found")
    return _as_dict(row)


def list_providers(url: str, query: ProviderQuery) -> list[dict]:
    """Providers matching every filter of ``query``, oldest first."""
    with transaction(url) as conn:
        clauses = _clauses(conn, query)
        rows = conn.execute(_select().where(*clauses).order_by(RP.c.id)).all()
    return [_as_dict(row) for row in rows]


def _clauses(conn: sa.Connection, query: ProviderQuery) -> list:
    clauses = []
    if query.uuid is not None:
        clauses.append(RP.c.uuid == query.uuid)
    if query.name is not None:
        clauses.append(RP.c.name == query.name)
    if query.in_tree is not None:
        clauses.append(RP.c.root_provider_id == filters.tree_of(query.in_tree))
    clauses += filters.aggregate_clauses(RP.c.id, query.member_of)
    clauses += filters.trait_clauses(RP.c.id, query.traits)
    if query.resources:
        ids = resource_class.ids_for(conn, set(query.resources))
        clauses += [RP.c.id.in_(filters.providers_with_capacity(ids[rc], amount))
                    for rc, amount in sorted(query.resources.items())]
    return clauses


def create_provider(url: str, name: str, uuid: str | None,
                    parent_uuid: str | None) -> dict:
    """Create a provider (a root unless ``parent_uuid`` is given) and return it."""
    uuid = uuid or str(uuidlib.uuid4())
    try:
        with transaction(url) as conn:
            root_id = None
            parent_id = None
            if parent_uuid is not None:
                parent = conn.execute(sa.select(RP).where(RP.c.uuid == parent_uuid)).first()
                if parent is None:
                    raise errors.BadRequest(
                        f"parent provider UUID cannot be found: {parent_uuid}")
                parent_id, root_id = parent.id, parent.root_provider_id
            new_id = conn.execute(sa.insert(RP).values(
                uuid=uuid, name=name, generation=0, parent_provider_id=parent_id,
                root_provider_id=root_id, created_at=utcnow())).inserted_primary_key[0]
            if root_id is None:
                conn.execute(sa.update(RP).where(RP.c.id == new_id)
                             .values(root_provider_id=new_id))
            record_changes(conn, [new_id])
            row = conn.execute(_select().where(RP.c.id == new_id)).one()
    except sa_exc.IntegrityError as exc:
        raise _duplicate(exc, name, uuid) from None
    return _as_dict(row)


def _duplicate(exc: sa_exc.IntegrityError, name: str, uuid: str) -> errors.PlacementError:
    if not is_duplicate(exc):
        return errors.Conflict(f"Conflicting resource provider: {exc.orig}")
    message = str(exc.orig)
    if "uq_resource_providers_uuid" in message or "resource_providers.uuid" in message:
        return errors.Conflict(f"Conflicting resource provider uuid: {uuid} already exists.")
    return errors.DuplicateName(f"Conflicting resource provider name: {name} already exists.")


def update_provider(url: str, uuid: str, name: str, parent_uuid: object,
                    allow_reparent: bool) -> dict:
    """Rename a provider and, if ``parent_uuid`` is given, move it in the forest."""
    try:
        with transaction(url) as conn:
            row = provider_row(conn, uuid)
            values = {"name": name, "updated_at": utcnow()}
            conn.execute(sa.update(RP).where(RP.c.id == row.id).values(**values))
            if parent_uuid is not UNSET:
                _reparent(conn, row, parent_uuid, allow_reparent)
            record_changes(conn, _subtree_ids(conn, row))
            updated = conn.execute(_select().where(RP.c.id == row.id)).one()
    except sa_exc.IntegrityError as exc:
        raise _duplicate(exc, name, uuid) from None
    return _as_dict(updated)


def _reparent(conn: sa.Connection, row: sa.Row, parent_uuid: str | None,
              allow_reparent: bool) -> None:
    parent = None
    if parent_uuid is not None:
        parent = conn.execute(sa.select(RP).where(RP.c.uuid == parent_uuid)).first()
        if parent is None:
            raise errors.BadRequest(f"parent provider UUID cannot be found: {parent_uuid}")
    new_parent_id = parent.id if parent is not None else None
    if new_parent_id == row.parent_provider_id:
        return
    if row.parent_provider_id is not None and not allow_reparent:
        raise errors.BadRequest("re-parenting a provider is not currently allowed.")
    subtree = _subtree_ids(conn, row)
    if new_parent_id in subtree:
        raise errors.BadRequest("creating loop in the provider tree is not allowed.")
    new_root = parent.root_provider_id if parent is not None else row.id
    conn.execute(sa.update(RP).where(RP.c.id == row.id)
                 .values(parent_provider_id=new_parent_id))
    conn.execute(sa.update(RP).where(RP.c.id.in_(sorted(subtree)))
                 .values(root_provider_id=new_root))


def _subtree_ids(conn: sa.Connection, row: sa.Row) -> set[int]:
    """Ids of ``row`` and every provider below it."""
    tree = conn.execute(sa.select(RP.c.id, RP.c.parent_provider_id)
                        .where(RP.c.root_provider_id == row.root_provider_id)).all()
    children: dict[int, list[int]] = {}
    for node in tree:
        children.setdefault(node.parent_provider_id, []).append(node.id)
    found, todo = set(), [row.id]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def delete_provider(url: str, uuid: str) -> None:
    """Delete a provider with no allocations and no children."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        if conn.execute(sa.select(ALLOC.c.id).where(ALLOC.c.resource_provider_id == row.id)
                        .limit(1)).first():
            raise errors.ProviderInUse(
                f"Unable to delete resource provider {uuid}: Resource provider has "
                "allocations.")
        if conn.execute(sa.select(RP.c.id).where(RP.c.parent_provider_id == row.id)
                        .limit(1)).first():
            raise errors.CannotDeleteParent(
                f"Unable to delete parent resource provider {uuid}: It has child resource "
                "providers.")
        for table in (INV, RP_TRAIT, RP_AGG):
            conn.execute(sa.delete(table).where(table.c.resource_provider_id == row.id))
        conn.execute(sa.delete(RP).where(RP.c.id == row.id))
        record_changes(conn, [row.id])
