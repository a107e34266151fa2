"""/v2/images and /v2/images/{image_id}: image records."""

from __future__ import annotations

from api_cell.image import domain, errors, listing, patch, request, views


def index() -> dict:
    """GET /v2/images"""
    items = request.query_items()
    records, next_marker = domain.list_images(request.backends(), request.context(),
                                              listing.parse(items))
    return views.images(records, items, next_marker)


def create() -> tuple[dict, int, dict]:
    """POST /v2/images: a queued image."""
    record = domain.create_image(request.backends(), request.context(), request.json_body())
    return views.image(record), 201, {"Location": f"{views.IMAGES}/{record.uuid}"}


def show(image_id: str) -> dict:
    """GET /v2/images/{image_id}"""
    return views.image(domain.get_image(request.backends(), request.context(), image_id))


def update(image_id: str) -> dict:
    """PATCH /v2/images/{image_id} (JSON patch)."""
    if request.media_type() not in patch.MEDIA_TYPES:
        raise errors.UnsupportedMediaType(
            f"Content-Type must be one of {', '.join(patch.MEDIA_TYPES)}.")
    record = domain.update_image(request.backends(), request.context(), image_id,
                                 request.json_body())
    return views.image(record)


def delete(image_id: str) -> tuple[str, int]:
    """DELETE /v2/images/{image_id}"""
    domain.delete_image(request.backends(), request.context(), image_id)
    return "", 204
