"""The platform's own minimal image registry, kept in the API DB."""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.api.models import Image
from db.engine import session_for

ACTIVE = "active"


@dataclasses.dataclass(frozen=True)
class ImageRecord:
    """An image as the rest of Cellar sees it (detached from any session)."""

    uuid: str
    name: str | None
    status: str
    min_disk: int
    min_ram: int
    size: int | None
    properties: dict[str, Any]
    created_at: datetime.datetime
    updated_at: datetime.datetime | None


def _record(row: Image) -> ImageRecord:
    return ImageRecord(row.uuid, row.name, row.status, row.min_disk, row.min_ram, row.size,
                       dict(row.properties or {}), row.created_at, row.updated_at)


def create(api_url: str, name: str | None, min_disk: int = 0, min_ram: int = 0,
           properties: dict[str, Any] | None = None,
           image_uuid: str | None = None) -> ImageRecord:
    """Register an image, ready to boot; Duplicate if ``image_uuid`` is taken."""
    row = Image(uuid=image_uuid or str(uuidlib.uuid4()), name=name, status=ACTIVE,
                min_disk=min_disk, min_ram=min_ram, properties=properties or {})
    try:
        with session_for(api_url) as session:
            session.add(row)
            session.flush()
            return _record(row)
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"Image with ID {row.uuid} already exists.") from error


def get(api_url: str, image_uuid: str) -> ImageRecord:
    """The image ``image_uuid``; NotFound otherwise."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(Image).where(Image.uuid == image_uuid)).first()
        if row is None:
            raise errors.NotFound(f"Image {image_uuid} could not be found.")
        return _record(row)


def list_page(api_url: str, limit: int | None = None,
              marker: str | None = None) -> list[ImageRecord]:
    """Images, newest first (created_at desc, uuid desc); NotFound if the marker is unknown."""
    query = sa.select(Image)
    if marker is not None:
        anchor = get(api_url, marker)
        query = query.where(sa.or_(
            Image.created_at < anchor.created_at,
            sa.and_(Image.created_at == anchor.created_at, Image.uuid < anchor.uuid)))
    query = query.order_by(Image.created_at.desc(), Image.uuid.desc()).limit(limit)
    with session_for(api_url) as session:
        return [_record(row) for row in session.scalars(query)]


def delete(api_url: str, image_uuid: str) -> None:
    """Remove an image; NotFound if there is none. Servers booted from it keep running."""
    with session_for(api_url) as session:
        if session.execute(sa.delete(Image).where(Image.uuid == image_uuid)).rowcount != 1:
            raise errors.NotFound(f"Image {image_uuid} could not be found.")
