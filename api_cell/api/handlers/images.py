"""/v2.1/images: the platform's own image registry in Nova's image-proxy shape."""

from __future__ import annotations

from api_cell.api import policies, request
from api_cell.api.domain import catalog
from api_cell.api.schemas import images as schemas
from api_cell.api.views import images as view


def index() -> dict:
    """GET /images"""
    return {"images": [view.summary(i, request.base_url()) for i in _page()]}


def detail() -> dict:
    """GET /images/detail"""
    return {"images": [view.detail(i, request.base_url()) for i in _page()]}


def _page() -> list:
    backends = request.backends()
    limit = request.int_param("limit")
    return catalog.list_images(
        backends.api_url,
        limit=backends.max_limit if limit is None else min(limit, backends.max_limit),
        marker=request.query().get("marker"))


def show(image_id: str) -> dict:
    """GET /images/{image_id}"""
    image = catalog.get_image(request.backends().api_url, image_id)
    return {"image": view.detail(image, request.base_url())}


def create() -> dict:
    """POST /images (admin): register an image, ready to boot."""
    request.authorize(policies.IMAGE_CREATE)
    fields = request.body(schemas.CREATE, "image", schemas.INTEGER_FIELDS)
    image = catalog.create_image(request.backends().api_url, fields)
    return {"image": view.detail(image, request.base_url())}


def delete(image_id: str) -> tuple[str, int]:
    """DELETE /images/{image_id} (admin)"""
    request.authorize(policies.IMAGE_DELETE)
    catalog.delete_image(request.backends().api_url, image_id)
    return "", 204
