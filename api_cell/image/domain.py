"""What the image API does, free of HTTP: checks, state changes, data in and out.

A project sees public and community images and its own; an administrator sees
all. An image nobody may see is "not found" (404) rather than forbidden, so its
existence does not leak; one the caller sees but may not change is forbidden (403).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterable
from typing import Any, BinaryIO

from api_cell.api.context import RequestContext
from api_cell.image import errors, listing, patch, policies, schemas
from api_cell.image.store import ImageStore, TooLarge
from db import errors as db_errors
from db.api import images as db_images
from db.api.images import ImageRecord

LOG = logging.getLogger(__name__)

DEFAULT_VISIBILITY = "shared"
# Attributes a client sets that are columns of the images table (the rest of a
# document beyond the schema's attributes are extra properties).
COLUMNS = ("name", "visibility", "protected", "os_hidden", "min_disk", "min_ram",
           "disk_format", "container_format", "owner")
FORMATS = ("disk_format", "container_format")


@dataclasses.dataclass(frozen=True)
class ImageBackends:
    """What the image API works with; one per application."""

    api_url: str
    store: ImageStore
    authorizer: policies.Authorizer
    max_image_size: int
    max_limit: int


def get_image(backends: ImageBackends, context: RequestContext, image_id: str) -> ImageRecord:
    """The image ``image_id`` if the caller sees it; NotFound otherwise."""
    try:
        record = db_images.get(backends.api_url, image_id)
    except db_errors.NotFound:
        record = None
    if record is None or not record.visible_to(context.project_id, context.is_admin):
        raise errors.NotFound(f"No image found with ID {image_id}")
    return record


def _authorize(backends: ImageBackends, context: RequestContext, rule: str,
               record: ImageRecord) -> None:
    # An image without owner (registered through the compute API) is the admins' own.
    backends.authorizer.authorize(context, rule, record.owner or "")


def _split(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(column values, extra properties, tags) of an image document."""
    columns = {name: document[name] for name in COLUMNS if name in document}
    properties = {k: v for k, v in document.items() if k not in schemas.CORE}
    return columns, properties, list(document.get("tags") or [])


def _check_visibility(backends: ImageBackends, context: RequestContext,
                      visibility: str | None, owner: str | None) -> None:
    if visibility == "public":
        backends.authorizer.authorize(context, policies.PUBLICIZE_IMAGE)
    if owner is not None and owner != context.project_id:
        backends.authorizer.authorize(context, policies.SET_OWNER)


def create_image(backends: ImageBackends, context: RequestContext,
                 body: Any) -> ImageRecord:
    """A new ``queued`` image from the body of POST /v2/images."""
    if not isinstance(body, dict):
        raise errors.BadRequest("Request body must be a JSON object.")
    backends.authorizer.authorize(context, policies.ADD_IMAGE)
    schemas.check_not_read_only([name for name in body if name != "id"])
    schemas.check_image(body)
    columns, properties, tags = _split(body)
    columns.setdefault("visibility", DEFAULT_VISIBILITY)
    _check_visibility(backends, context, columns["visibility"], columns.get("owner"))
    if columns.get("owner") is None:
        columns["owner"] = context.project_id
    name = columns.pop("name", None)
    # Canonical (lower case) so ids match however the database compares strings.
    image_id = str(uuid.UUID(body["id"])) if "id" in body else None
    try:
        return db_images.create(backends.api_url, name, properties=properties,
                                image_uuid=image_id, status=db_images.QUEUED,
                                tags=tags, **columns)
    except db_errors.Duplicate as error:
        raise errors.Conflict(f"Image with identifier {image_id} already exists!") from error


def list_images(backends: ImageBackends, context: RequestContext,
                query: listing.ListRequest) -> tuple[list[ImageRecord], str | None]:
    """A page of the images the caller sees, and the marker of the next page (or None)."""
    limit = min(query.limit if query.limit is not None else backends.max_limit,
                backends.max_limit)
    project = None if context.is_admin else context.project_id
    try:
        if query.marker is not None:
            get_image(backends, context, query.marker)
        records = db_images.search(backends.api_url, project, query.visibility,
                                   query.filters, query.sort, limit + 1, query.marker)
    except (errors.NotFound, db_errors.NotFound) as error:
        raise errors.BadRequest(f"Invalid marker. Image {query.marker} could not be "
                                "found.") from error
    if len(records) > limit:
        records = records[:limit]
        return records, records[-1].uuid if records else None
    return records, None


def _editable(record: ImageRecord) -> dict[str, Any]:
    """The document a PATCH works on: what a client may set, properties included."""
    return {**record.properties, **{name: getattr(record, name) for name in COLUMNS},
            "tags": list(record.tags)}


def update_image(backends: ImageBackends, context: RequestContext, image_id: str,
                 body: Any) -> ImageRecord:
    """Apply the JSON-patch ``body`` to an image; the image as it now is."""
    record = get_image(backends, context, image_id)
    _authorize(backends, context, policies.MODIFY_IMAGE, record)
    operations = patch.parse(body)
    schemas.check_not_read_only([operation.name for operation in operations])
    before = _editable(record)
    after = patch.apply(before, operations, schemas.CORE)
    schemas.check_image(after)
    columns, properties, tags = _split(after)
    changed = {name: value for name, value in columns.items() if before[name] != value}
    if "visibility" in changed or "owner" in changed:
        _check_visibility(backends, context, changed.get("visibility"), changed.get("owner"))
    if record.status != db_images.QUEUED and any(name in changed for name in FORMATS):
        raise errors.Forbidden("disk_format and container_format can be changed only "
                               "while the image is queued.")
    try:
        return db_images.update(backends.api_url, image_id,
                                {**changed, "properties": properties}, tags=tags)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"No image found with ID {image_id}") from error


def delete_image(backends: ImageBackends, context: RequestContext, image_id: str) -> None:
    """Remove an image and its data; Forbidden while it is protected."""
    record = get_image(backends, context, image_id)
    _authorize(backends, context, policies.DELETE_IMAGE, record)
    if record.protected:
        raise errors.Forbidden(f"Image {image_id} is protected and cannot be deleted.")
    try:
        db_images.delete(backends.api_url, image_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"No image found with ID {image_id}") from error
    backends.store.delete(image_id)


def add_tag(backends: ImageBackends, context: RequestContext, image_id: str,
            tag: str) -> None:
    """Tag an image the caller may change."""
    record = get_image(backends, context, image_id)
    _authorize(backends, context, policies.MODIFY_IMAGE, record)
    if not 0 < len(tag) <= 255:
        raise errors.BadRequest("A tag is 1 to 255 characters long.")
    if tag not in record.tags and len(record.tags) >= schemas.MAX_TAGS:
        raise errors.RequestEntityTooLarge(f"An image has at most {schemas.MAX_TAGS} tags.")
    try:
        db_images.add_tag(backends.api_url, image_id, tag)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"No image found with ID {image_id}") from error


def remove_tag(backends: ImageBackends, context: RequestContext, image_id: str,
               tag: str) -> None:
    """Untag an image the caller may change; NotFound if it lacks the tag."""
    record = get_image(backends, context, image_id)
    _authorize(backends, context, policies.MODIFY_IMAGE, record)
    try:
        db_images.remove_tag(backends.api_url, image_id, tag)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error


def upload(backends: ImageBackends, context: RequestContext, image_id: str,
           chunks: Iterable[bytes], length: int | None) -> ImageRecord:
    """Store the data of a ``queued`` image: queued -> saving -> active.

    The move to ``saving`` is a compare-and-swap, so of two concurrent uploads one
    stores and the other gets Conflict. An upload that fails puts the image back to
    ``queued`` for another try; RequestEntityTooLarge beyond the size limit.
    """
    record = get_image(backends, context, image_id)
    _authorize(backends, context, policies.UPLOAD_IMAGE, record)
    if not record.disk_format or not record.container_format:
        raise errors.BadRequest("Properties disk_format, container_format must be set "
                                "prior to saving data.")
    if length is not None and length > backends.max_image_size:
        raise errors.RequestEntityTooLarge(_too_large(backends))
    _move(backends, image_id, db_images.QUEUED, db_images.SAVING, {})
    try:
        stored = backends.store.write(image_id, chunks, backends.max_image_size)
    except TooLarge as error:
        _back_to_queued(backends, image_id)
        raise errors.RequestEntityTooLarge(_too_large(backends)) from error
    except BaseException:
        _back_to_queued(backends, image_id)
        raise
    return _move(backends, image_id, db_images.SAVING, db_images.ACTIVE, {
        "size": stored.size, "checksum": stored.checksum,
        "os_hash_algo": stored.hash_algo, "os_hash_value": stored.hash_value},
        on_gone=lambda: backends.store.delete(image_id))


def _too_large(backends: ImageBackends) -> str:
    return f"Image exceeds the storage quota: the limit is {backends.max_image_size} bytes."


def _move(backends: ImageBackends, image_id: str, source: str, target: str,
          values: dict[str, Any], on_gone=None) -> ImageRecord:
    """Compare-and-swap the image from ``source`` to ``target`` status."""
    try:
        return db_images.update(backends.api_url, image_id, {**values, "status": target},
                                expected_status=source)
    except db_errors.NotFound as error:
        if on_gone is not None:
            on_gone()
        raise errors.Gone(f"Image {image_id} was deleted during the upload.") from error
    except db_errors.Conflict as error:
        raise errors.Conflict(f"Image {image_id} cannot take data: it is not queued "
                              "(another upload may be in progress, or it has data "
                              "already).") from error


def _back_to_queued(backends: ImageBackends, image_id: str) -> None:
    try:
        db_images.update(backends.api_url, image_id, {"status": db_images.QUEUED},
                         expected_status=db_images.SAVING)
    except (db_errors.NotFound, db_errors.Conflict):
        LOG.info("image %s changed during a failed upload; leaving it", image_id)


def download(backends: ImageBackends, context: RequestContext,
             image_id: str) -> tuple[ImageRecord, BinaryIO | None]:
    """The image and its data opened for reading (None when it has no data)."""
    record = get_image(backends, context, image_id)
    _authorize(backends, context, policies.DOWNLOAD_IMAGE, record)
    if record.status != db_images.ACTIVE or record.checksum is None:
        return record, None
    return record, backends.store.open(image_id)
