"""/v2.1/flavors"""

from __future__ import annotations

from api_cell.api import policies, request
from api_cell.api.domain import catalog
from api_cell.api.schemas import flavors as schemas
from api_cell.api.views import flavors as view


def index() -> dict:
    """GET /flavors"""
    return {"flavors": [view.summary(f, request.base_url()) for f in _page()]}


def detail() -> dict:
    """GET /flavors/detail"""
    return {"flavors": [view.detail(f, request.base_url()) for f in _page()]}


def _page() -> list:
    backends = request.backends()
    limit = request.int_param("limit")
    return catalog.list_flavors(
        backends.api_url, _is_public(), min_ram=request.int_param("minRam") or 0,
        min_disk=request.int_param("minDisk") or 0,
        limit=backends.max_limit if limit is None else min(limit, backends.max_limit),
        marker=request.query().get("marker"))


def _is_public() -> bool | None:
    """Public flavors only, unless an admin asks otherwise (``none`` means all)."""
    if not request.context().is_admin:
        return True
    text = request.query().get("is_public")
    if text is not None and text.lower() == "none":
        return None
    wanted = request.bool_param("is_public")
    return True if wanted is None else wanted


def show(flavor_id: str) -> dict:
    """GET /flavors/{flavor_id}"""
    flavor = catalog.get_flavor(request.backends().api_url, flavor_id)
    return {"flavor": view.detail(flavor, request.base_url())}


def create() -> dict:
    """POST /flavors (admin)"""
    request.authorize(policies.FLAVOR_CREATE)
    fields = request.body(schemas.CREATE, "flavor", schemas.INTEGER_FIELDS)
    flavor = catalog.create_flavor(request.backends().api_url, fields)
    return {"flavor": view.detail(flavor, request.base_url())}


def delete(flavor_id: str) -> tuple[str, int]:
    """DELETE /flavors/{flavor_id} (admin)"""
    request.authorize(policies.FLAVOR_DELETE)
    catalog.delete_flavor(request.backends().api_url, flavor_id)
    return "", 202
