"""Images in the API DB: the records the image service and the compute API share.

The image service (api_cell/image) creates images ``queued`` and moves them through
``saving`` to ``active`` as their data arrives; status changes are compare-and-swap
updates, so two uploads to one image cannot both win. The compute API's deprecated
proxy registers images directly ``active`` (without data).
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc, orm

from db import errors
from db.api.models import Image, ImageTag
from db.base import utcnow
from db.engine import session_for

QUEUED = "queued"
SAVING = "saving"
ACTIVE = "active"

# Columns a list may be sorted by, by the name the image API uses for them.
SORT_COLUMNS = {
    "name": Image.name, "status": Image.status, "created_at": Image.created_at,
    "updated_at": Image.updated_at, "size": Image.size, "id": Image.uuid,
    "visibility": Image.visibility, "owner": Image.owner, "min_disk": Image.min_disk,
    "min_ram": Image.min_ram, "disk_format": Image.disk_format,
    "container_format": Image.container_format,
}
# NULLs sort as these, so a marker row with a NULL sort key still pages correctly.
_NULL_AS = {"name": "", "size": -1, "owner": "", "disk_format": "", "container_format": ""}


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
    disk_format: str | None = None
    container_format: str | None = None
    checksum: str | None = None
    visibility: str = "public"
    owner: str | None = None
    protected: bool = False
    os_hidden: bool = False
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    tags: tuple[str, ...] = ()

    def visible_to(self, project_id: str, is_admin: bool) -> bool:
        """Whether a caller of ``project_id`` may see (and boot) this image."""
        return (is_admin or self.owner == project_id
                or self.visibility in ("public", "community"))


@dataclasses.dataclass(frozen=True)
class ImageFilters:
    """What a list of images is narrowed to; None means no condition.

    ``ids``, ``names`` and ``statuses`` keep images whose value is any of those listed.
    """

    ids: tuple[str, ...] | None = None
    names: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    owner: str | None = None
    protected: bool | None = None
    os_hidden: bool | None = None
    tags: tuple[str, ...] = ()
    size_min: int | None = None
    size_max: int | None = None


def _record(row: Image, tags: Iterable[str] = ()) -> ImageRecord:
    return ImageRecord(
        row.uuid, row.name, row.status, row.min_disk, row.min_ram, row.size,
        dict(row.properties or {}), row.created_at, row.updated_at,
        disk_format=row.disk_format, container_format=row.container_format,
        checksum=row.checksum, visibility=row.visibility, owner=row.owner,
        protected=bool(row.protected), os_hidden=bool(row.os_hidden),
        os_hash_algo=row.os_hash_algo, os_hash_value=row.os_hash_value,
        tags=tuple(sorted(tags)))


def _tags_of(session: orm.Session, image_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {image_id: [] for image_id in image_ids}
    if image_ids:
        query = sa.select(ImageTag.image_id, ImageTag.value).where(
            ImageTag.image_id.in_(image_ids))
        for image_id, value in session.execute(query):
            found[image_id].append(value)
    return found


def _row(session: orm.Session, image_uuid: str) -> Image:
    row = session.scalars(sa.select(Image).where(Image.uuid == image_uuid)).first()
    if row is None:
        raise errors.NotFound(f"Image {image_uuid} could not be found.")
    return row


def create(api_url: str, name: str | None, min_disk: int = 0, min_ram: int = 0,
           properties: dict[str, Any] | None = None, image_uuid: str | None = None,
           *, status: str = ACTIVE, tags: Iterable[str] = (),
           **columns: Any) -> ImageRecord:
    """Register an image; Duplicate if ``image_uuid`` is taken.

    ``columns`` sets any other column (owner, visibility, disk_format, protected...).
    Without a status the image is ``active`` at once, as the compute API registers it.
    """
    row = Image(uuid=image_uuid or str(uuidlib.uuid4()), name=name, status=status,
                min_disk=min_disk, min_ram=min_ram, properties=properties or {}, **columns)
    try:
        with session_for(api_url) as session:
            session.add(row)
            session.flush()
            tags = sorted(set(tags))
            session.add_all(ImageTag(image_id=row.id, value=tag) for tag in tags)
            session.flush()
            return _record(row, tags)
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"Image with ID {row.uuid} already exists.") from error


def get(api_url: str, image_uuid: str) -> ImageRecord:
    """The image ``image_uuid``; NotFound otherwise."""
    with session_for(api_url) as session:
        row = _row(session, image_uuid)
        return _record(row, _tags_of(session, [row.id])[row.id])


def list_page(api_url: str, limit: int | None = None,
              marker: str | None = None) -> list[ImageRecord]:
    """Images, newest first (created_at desc, uuid desc); NotFound if the marker is unknown."""
    return search(api_url, None, None, ImageFilters(), [("created_at", "desc")], limit,
                  marker)


def _sort_expression(key: str) -> sa.ColumnElement:
    column = SORT_COLUMNS[key]
    if key == "updated_at":
        return sa.func.coalesce(Image.updated_at, Image.created_at)
    if key in _NULL_AS:
        return sa.func.coalesce(column, _NULL_AS[key])
    return column


def _scope(project_id: str | None, visibility: str | None) -> list[sa.ColumnElement]:
    """Who sees what: ``project_id`` None is an administrator, who sees every image.

    A project sees public and community images and its own. Without a visibility
    asked for, a list shows public images and the project's own (community images
    only when asked for, as the image API does); ``all`` shows whatever is visible.
    """
    conditions: list[sa.ColumnElement] = []
    if project_id is not None:
        conditions.append(sa.or_(Image.owner == project_id,
                                 Image.visibility.in_(("public", "community"))))
        if visibility is None:
            conditions.append(sa.or_(Image.owner == project_id, Image.visibility == "public"))
    if visibility not in (None, "all"):
        conditions.append(Image.visibility == visibility)
    return conditions


def _filtered(filters: ImageFilters) -> list[sa.ColumnElement]:
    conditions: list[sa.ColumnElement] = []
    for column, values in ((Image.uuid, filters.ids), (Image.name, filters.names),
                           (Image.status, filters.statuses)):
        if values is not None:
            conditions.append(column.in_(values))
    for column, value in ((Image.owner, filters.owner), (Image.protected, filters.protected),
                          (Image.os_hidden, filters.os_hidden)):
        if value is not None:
            conditions.append(column == value)
    if filters.size_min is not None:
        conditions.append(Image.size >= filters.size_min)
    if filters.size_max is not None:
        conditions.append(Image.size <= filters.size_max)
    for tag in filters.tags:
        conditions.append(sa.exists().where(ImageTag.image_id == Image.id,
                                            ImageTag.value == tag))
    return conditions


def _after(session: orm.Session, marker: str, keys: list[tuple[sa.ColumnElement, str]]
           ) -> sa.ColumnElement:
    """Rows strictly after the marker row in the order ``keys`` (keyset paging)."""
    values = session.execute(sa.select(*(expr for expr, _ in keys))
                             .where(Image.uuid == marker)).first()
    if values is None:
        raise errors.NotFound(f"Image {marker} could not be found.")
    clauses = []
    for i, (expr, direction) in enumerate(keys):
        beyond = expr > values[i] if direction == "asc" else expr < values[i]
        clauses.append(sa.and_(*(keys[j][0] == values[j] for j in range(i)), beyond))
    return sa.or_(*clauses)


def search(api_url: str, project_id: str | None, visibility: str | None,
           filters: ImageFilters, sort: Sequence[tuple[str, str]], limit: int | None,
           marker: str | None) -> list[ImageRecord]:
    """One page of the images ``project_id`` sees (None: all), in the order ``sort``.

    ``sort`` is (key of SORT_COLUMNS, "asc"|"desc") pairs; the uuid breaks ties.
    NotFound if the marker names no image.
    """
    keys = [(_sort_expression(key), direction) for key, direction in sort]
    if "id" not in (key for key, _ in sort):
        keys.append((Image.uuid, sort[-1][1] if sort else "desc"))
    conditions = _scope(project_id, visibility) + _filtered(filters)
    with session_for(api_url) as session:
        if marker is not None:
            conditions.append(_after(session, marker, keys))
        query = (sa.select(Image).where(*conditions)
                 .order_by(*(expr.asc() if d == "asc" else expr.desc() for expr, d in keys))
                 .limit(limit))
        rows = list(session.scalars(query))
        tags = _tags_of(session, [row.id for row in rows])
        return [_record(row, tags[row.id]) for row in rows]


def update(api_url: str, image_uuid: str, values: dict[str, Any],
           tags: Iterable[str] | None = None,
           expected_status: str | None = None) -> ImageRecord:
    """Set ``values`` (and replace the tags, if given) on one image; the new record.

    With ``expected_status`` the change is a compare-and-swap: Conflict if the image
    is no longer in that status. NotFound if the image is gone.
    """
    query = sa.update(Image).where(Image.uuid == image_uuid).values(
        **values, updated_at=utcnow())
    if expected_status is not None:
        query = query.where(Image.status == expected_status)
    with session_for(api_url) as session:
        if session.execute(query).rowcount != 1:
            row = _row(session, image_uuid)
            raise errors.Conflict(f"Image {image_uuid} is {row.status}, not "
                                  f"{expected_status}.")
        row = _row(session, image_uuid)
        if tags is not None:
            session.execute(sa.delete(ImageTag).where(ImageTag.image_id == row.id))
            session.add_all(ImageTag(image_id=row.id, value=tag) for tag in sorted(set(tags)))
            session.flush()
        return _record(row, _tags_of(session, [row.id])[row.id])


def add_tag(api_url: str, image_uuid: str, tag: str) -> None:
    """Tag an image (nothing happens if it has the tag); NotFound if there is none."""
    try:
        with session_for(api_url) as session:
            row = _row(session, image_uuid)
            if tag not in _tags_of(session, [row.id])[row.id]:
                session.add(ImageTag(image_id=row.id, value=tag))
                session.execute(sa.update(Image).where(Image.id == row.id)
                                .values(updated_at=utcnow()))
    except exc.IntegrityError:
        return  # a concurrent request added the same tag: the outcome is the same


def remove_tag(api_url: str, image_uuid: str, tag: str) -> None:
    """Untag an image; NotFound if there is no such image or it lacks the tag."""
    with session_for(api_url) as session:
        row = _row(session, image_uuid)
        removed = session.execute(sa.delete(ImageTag).where(
            ImageTag.image_id == row.id, ImageTag.value == tag)).rowcount
        if removed != 1:
            raise errors.NotFound(f"Tag {tag} not found on image {image_uuid}.")
        session.execute(sa.update(Image).where(Image.id == row.id)
                        .values(updated_at=utcnow()))


def delete(api_url: str, image_uuid: str) -> None:
    """Remove an image; NotFound if there is none. Servers booted from it keep running."""
    with session_for(api_url) as session:
        row = _row(session, image_uuid)
        # Explicitly: SQLite (cellar-aio's default) does not enforce ON DELETE CASCADE.
        session.execute(sa.delete(ImageTag).where(ImageTag.image_id == row.id))
        if session.execute(sa.delete(Image).where(Image.id == row.id)).rowcount != 1:
            raise errors.NotFound(f"Image {image_uuid} could not be found.")
