"""Traits, and the traits of providers."""

from __future__ import annotations

import threading

import os_traits
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from db.base import utcnow
from placement import errors
from placement.objects.base import (
    RP_TRAIT,
    TRAIT,
    bump_generation,
    provider_row,
    replace_links,
    transaction,
)

STANDARD = frozenset(os_traits.get_traits())
_synced: set[str] = set()
_sync_lock = threading.Lock()


def ensure_standard(url: str) -> None:
    """Insert the os-traits names missing from the database, once per process."""
    if url in _synced:
        return
    with _sync_lock:
        if url in _synced:
            return
        with transaction(url) as conn:
            present = set(conn.execute(sa.select(TRAIT.c.name)).scalars())
            missing = sorted(STANDARD - present)
            if missing:
                now = utcnow()
                conn.execute(sa.insert(TRAIT).prefix_with("IGNORE", dialect="mysql")
                             .prefix_with("OR IGNORE", dialect="sqlite"),
                             [{"name": name, "created_at": now} for name in missing])
        _synced.add(url)


def list_traits(url: str, names: set[str] | None, prefix: str | None,
                associated: bool | None) -> list[str]:
    """Trait names, filtered by a set of names or a prefix and by association."""
    ensure_standard(url)
    query = sa.select(TRAIT.c.name).order_by(TRAIT.c.name)
    if names is not None:
        query = query.where(TRAIT.c.name.in_(sorted(names)))
    if prefix is not None:
        query = query.where(TRAIT.c.name.startswith(prefix, autoescape=True))
    if associated is not None:
        linked = sa.select(RP_TRAIT.c.trait_id)
        query = query.where(TRAIT.c.id.in_(linked) if associated else TRAIT.c.id.not_in(linked))
    with transaction(url) as conn:
        return list(conn.execute(query).scalars())


def check_known(url: str, names: set[str]) -> None:
    """BadRequest naming the traits of a query that do not exist.

    Standard traits always exist once synced, so only custom names cost a query:
    the candidate path, answered from memory, stays free of reads for the usual
    requests.
    """
    custom = sorted(names - STANDARD)
    if not custom:
        return
    with transaction(url) as conn:
        known = set(conn.execute(sa.select(TRAIT.c.name).where(TRAIT.c.name.in_(custom)))
                    .scalars())
    unknown = [name for name in custom if name not in known]
    if unknown:
        raise errors.BadRequest(f"No such trait(s): {', '.join(unknown)}.")


def trait_exists(url: str, name: str) -> None:
    """NotFound unless the trait ``name`` exists."""
    ensure_standard(url)
    with transaction(url) as conn:
        if conn.execute(sa.select(TRAIT.c.id).where(TRAIT.c.name == name)).first() is None:
            raise errors.NotFound(f"No such trait(s): {name}.")


def create_custom(url: str, name: str) -> bool:
    """Create the custom trait ``name``; True if it was created, False if it existed."""
    ensure_standard(url)
    try:
        with transaction(url) as conn:
            if conn.execute(sa.select(TRAIT.c.id).where(TRAIT.c.name == name)).first():
                return False
            conn.execute(sa.insert(TRAIT).values(name=name, created_at=utcnow()))
            return True
    except sa_exc.IntegrityError:
        return False


def delete_custom(url: str, name: str) -> None:
    """Delete the custom trait ``name``; Conflict while a provider has it."""
    if not name.startswith("CUSTOM_"):
        raise errors.BadRequest(f"Cannot delete standard trait {name}.")
    with transaction(url) as conn:
        trait_id = conn.execute(sa.select(TRAIT.c.id).where(TRAIT.c.name == name)).scalar()
        if trait_id is None:
            raise errors.NotFound(f"No such trait(s): {name}.")
        if conn.execute(sa.select(RP_TRAIT.c.trait_id).where(RP_TRAIT.c.trait_id == trait_id)
                        .limit(1)).first():
            raise errors.Conflict(f"The trait {name} is in use by a resource provider.")
        conn.execute(sa.delete(TRAIT).where(TRAIT.c.id == trait_id))


def _provider_traits(conn: sa.Connection, provider_id: int) -> list[str]:
    return list(conn.execute(
        sa.select(TRAIT.c.name).join(RP_TRAIT, RP_TRAIT.c.trait_id == TRAIT.c.id)
        .where(RP_TRAIT.c.resource_provider_id == provider_id).order_by(TRAIT.c.name)).scalars())


def get_provider_traits(url: str, uuid: str) -> tuple[int, list[str]]:
    """The provider's generation and trait names."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        return row.generation, _provider_traits(conn, row.id)


def set_provider_traits(url: str, uuid: str, generation: int,
                        names: list[str]) -> tuple[int, list[str]]:
    """Replace the provider's traits, checking its generation."""
    ensure_standard(url)
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        if generation != row.generation:
            raise errors.ConcurrentUpdate(
                f"resource provider generation conflict: expected {generation}, "
                f"found {row.generation}")
        ids = dict(conn.execute(sa.select(TRAIT.c.name, TRAIT.c.id)
                                .where(TRAIT.c.name.in_(sorted(set(names))))).all())
        unknown = sorted(set(names) - set(ids))
        if unknown:
            raise errors.BadRequest(f"No such trait(s): {', '.join(unknown)}.")
        # The generation first: its row lock keeps other writers of this
        # provider out while the links change.
        new_generation = bump_generation(conn, row.id, row.generation)
        replace_links(conn, RP_TRAIT, "trait_id", row.id, set(ids.values()))
        return new_generation, _provider_traits(conn, row.id)


def delete_provider_traits(url: str, uuid: str) -> None:
    """Remove every trait from the provider."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        bump_generation(conn, row.id, row.generation)
        replace_links(conn, RP_TRAIT, "trait_id", row.id, set())


def traits_of(conn: sa.Connection, provider_ids: list[int]) -> dict[int, set[str]]:
    """Trait names of each of ``provider_ids``."""
    result: dict[int, set[str]] = {pid: set() for pid in provider_ids}
    if not provider_ids:
        return result
    rows = conn.execute(
        sa.select(RP_TRAIT.c.resource_provider_id, TRAIT.c.name)
        .join(TRAIT, TRAIT.c.id == RP_TRAIT.c.trait_id)
        .where(RP_TRAIT.c.resource_provider_id.in_(sorted(set(provider_ids))))).all()
    for pid, name in rows:
        result[pid].add(name)
    return result
