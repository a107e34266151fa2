"""/v2/images/{image_id}/tags/{tag}"""

from __future__ import annotations

from api_cell.image import domain, request


def add(image_id: str, tag: str) -> tuple[str, int]:
    """PUT /v2/images/{image_id}/tags/{tag}"""
    domain.add_tag(request.backends(), request.context(), image_id, tag)
    return "", 204


def remove(image_id: str, tag: str) -> tuple[str, int]:
    """DELETE /v2/images/{image_id}/tags/{tag}"""
    domain.remove_tag(request.backends(), request.context(), image_id, tag)
    return "", 204
