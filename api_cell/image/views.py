"""Images as the image API shows them: one flat JSON object each, links relative."""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Sequence
from typing import Any

from db.api.images import ImageRecord

SCHEMA_IMAGE = "/v2/schemas/image"
SCHEMA_IMAGES = "/v2/schemas/images"
IMAGES = "/v2/images"


def timestamp(value: datetime.datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second, as Glance writes it."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def image(record: ImageRecord) -> dict[str, Any]:
    """The JSON document of one image: extra properties first, core attributes over them."""
    return {
        **record.properties,
        "id": record.uuid,
        "name": record.name,
        "status": record.status,
        "visibility": record.visibility,
        "protected": record.protected,
        "os_hidden": record.os_hidden,
        "checksum": record.checksum,
        "os_hash_algo": record.os_hash_algo,
        "os_hash_value": record.os_hash_value,
        "owner": record.owner,
        "size": record.size,
        "virtual_size": None,
        "min_ram": record.min_ram,
        "min_disk": record.min_disk,
        "disk_format": record.disk_format,
        "container_format": record.container_format,
        "tags": list(record.tags),
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at or record.created_at),
        "self": f"{IMAGES}/{record.uuid}",
        "file": f"{IMAGES}/{record.uuid}/file",
        "schema": SCHEMA_IMAGE,
    }


def images(records: Sequence[ImageRecord], query: Sequence[tuple[str, str]],
           next_marker: str | None) -> dict[str, Any]:
    """A page of images, with the link to the next page when there is one."""
    body: dict[str, Any] = {"images": [image(r) for r in records],
                            "first": IMAGES, "schema": SCHEMA_IMAGES}
    if next_marker is not None:
        kept = [(name, value) for name, value in query if name != "marker"]
        body["next"] = f"{IMAGES}?{urllib.parse.urlencode([*kept, ('marker', next_marker)])}"
    return body


def versions(base_url: str) -> dict[str, Any]:
    """The version document: v2.x, the newest CURRENT."""
    link = [{"rel": "self", "href": f"{base_url.rstrip('/')}/v2/"}]
    return {"versions": [
        {"id": version, "status": "CURRENT" if version == "v2.16" else "SUPPORTED",
         "links": link}
        for version in ("v2.16", "v2.15", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3",
                        "v2.2", "v2.1", "v2.0")]}
