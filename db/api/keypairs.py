"""Key pairs: public keys users inject into their servers (API DB)."""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.api.models import KeyPair
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class KeyPairRecord:
    """A key pair, detached from any session."""

    id: int
    name: str
    user_id: str
    project_id: str | None
    fingerprint: str
    public_key: str
    type: str
    created_at: datetime.datetime
    updated_at: datetime.datetime | None


def _record(row: KeyPair) -> KeyPairRecord:
    return KeyPairRecord(row.id, row.name, row.user_id, row.project_id, row.fingerprint,
                         row.public_key, row.type, row.created_at, row.updated_at)


def create(api_url: str, user_id: str, name: str, public_key: str, fingerprint: str,
           key_type: str, project_id: str | None = None,
           limit: int | None = None) -> KeyPairRecord:
    """Add a key pair; Duplicate if the user has one of that name.

    With ``limit`` the user's count is checked in the same transaction, under a lock on
    the user's rows, and errors.Conflict is raised when it would be exceeded.
    """
    try:
        with session_for(api_url) as session:
            if limit is not None and limit >= 0:
                owned = session.scalars(sa.select(KeyPair.id).where(
                    KeyPair.user_id == user_id).with_for_update()).all()
                if len(owned) + 1 > limit:
                    raise errors.Conflict(f"user {user_id} has {len(owned)} key pairs")
            row = KeyPair(name=name, user_id=user_id, project_id=project_id,
                          fingerprint=fingerprint, public_key=public_key, type=key_type)
            session.add(row)
            session.flush()
            return _record(row)
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"Key pair '{name}' already exists.") from error


def get(api_url: str, user_id: str, name: str) -> KeyPairRecord:
    """The user's key pair ``name``; NotFound otherwise."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(KeyPair).where(
            KeyPair.user_id == user_id, KeyPair.name == name)).first()
        if row is None:
            raise errors.NotFound(f"Keypair {name} not found for user {user_id}")
        return _record(row)


def list_for_user(api_url: str, user_id: str, limit: int | None = None,
                  marker: str | None = None) -> list[KeyPairRecord]:
    """The user's key pairs by name, after ``marker`` (a name; NotFound if unknown)."""
    query = sa.select(KeyPair).where(KeyPair.user_id == user_id).order_by(KeyPair.name)
    with session_for(api_url) as session:
        if marker is not None:
            if session.scalar(sa.select(KeyPair.id).where(
                    KeyPair.user_id == user_id, KeyPair.name == marker)) is None:
                raise errors.NotFound(f"marker [{marker}] not found")
            query = query.where(KeyPair.name > marker)
        if limit is not None:
            query = query.limit(limit)
        return [_record(row) for row in session.scalars(query)]


def count_for_user(api_url: str, user_id: str) -> int:
    """How many key pairs the user has."""
    with session_for(api_url) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(KeyPair).where(
            KeyPair.user_id == user_id))


def delete(api_url: str, user_id: str, name: str) -> None:
    """Remove the user's key pair ``name``; NotFound if there is none."""
    with session_for(api_url) as session:
        deleted = session.execute(sa.delete(KeyPair).where(
            KeyPair.user_id == user_id, KeyPair.name == name)).rowcount
    if deleted != 1:
        raise errors.NotFound(f"Keypair {name} not found for user {user_id}")
