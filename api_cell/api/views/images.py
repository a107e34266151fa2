"""The image views of the compute API (Nova's proxy shape)."""

from __future__ import annotations

from typing import Any

from api_cell.api.views import links
from db.api.images import ImageRecord


def summary(image: ImageRecord, base_url: str) -> dict[str, Any]:
    """The entry of GET /images."""
    return {"id": image.uuid, "name": image.name,
            "links": links.resource(base_url, "images", image.uuid)}


def detail(image: ImageRecord, base_url: str) -> dict[str, Any]:
    """The entry of GET /images/detail and GET /images/{id}."""
    return {
        **summary(image, base_url),
        "status": image.status.upper(),
        "progress": 100,
        "minDisk": image.min_disk,
        "minRam": image.min_ram,
        "metadata": {k: str(v) for k, v in image.properties.items()},
        "created": links.isotime(image.created_at),
        "updated": links.isotime(image.updated_at or image.created_at),
        "OS-EXT-IMG-SIZE:size": image.size,
    }
