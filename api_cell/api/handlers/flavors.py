"""/v2.1/flavors, /v2.1/flavors/{id}/os-extra_specs and flavor access"""

from __future__ import annotations

from typing import Any

from api_cell.api import errors, policies, request, validation
from api_cell.api.domain import catalog, extra_specs
from api_cell.api.schemas import flavors as schemas
from api_cell.api.views import flavors as view
from db.api.flavors import FlavorRecord


def index() -> dict:
    """GET /flavors"""
    version = tuple(request.version())
    return {"flavors": [view.summary(f, request.base_url(), version) for f in _page()]}


def detail() -> dict:
    """GET /flavors/detail"""
    return {"flavors": [_detail(f) for f in _page()]}


def _detail(flavor: FlavorRecord) -> dict[str, Any]:
    return view.detail(flavor, request.base_url(), tuple(request.version()),
                       request.allowed(policies.FLAVOR_EXTRA_SPECS_INDEX))


def _page() -> list:
    backends = request.backends()
    limit = request.int_param("limit")
    return catalog.list_flavors(
        backends.api_url, _is_public(), min_ram=request.int_param("minRam") or 0,
        min_disk=request.int_param("minDisk") or 0,
        limit=backends.max_limit if limit is None else min(limit, backends.max_limit),
        marker=request.query().get("marker"),
        accessible_to=None if request.context().is_admin else request.context().project_id)


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
    """GET /flavors/{flavor_id}: a private flavor only for admins and projects with
    access."""
    return {"flavor": _detail(catalog.get_visible_flavor(request.backends().api_url,
                                                         flavor_id, request.context()))}


def create() -> dict:
    """POST /flavors (admin; ``description`` from 2.55)"""
    request.authorize(policies.FLAVOR_CREATE)
    fields = request.body(schemas.create(tuple(request.version())), "flavor",
                          schemas.INTEGER_FIELDS)
    return {"flavor": _detail(catalog.create_flavor(request.backends().api_url, fields))}


def update(flavor_id: str) -> dict:
    """PUT /flavors/{flavor_id} (admin, 2.55): only the description changes."""
    if not request.at_least("2.55"):
        raise errors.NotFound("The resource could not be found.")
    request.authorize(policies.FLAVOR_UPDATE)
    fields = request.body(schemas.UPDATE, "flavor")
    return {"flavor": _detail(catalog.describe_flavor(request.backends().api_url,
                                                      flavor_id, fields["description"]))}


def delete(flavor_id: str) -> tuple[str, int]:
    """DELETE /flavors/{flavor_id} (admin)"""
    request.authorize(policies.FLAVOR_DELETE)
    catalog.delete_flavor(request.backends().api_url, flavor_id)
    return "", 202


def access_index(flavor_id: str) -> dict:
    """GET /flavors/{flavor_id}/os-flavor-access (admin; 404 for a public flavor)."""
    request.authorize(policies.FLAVOR_ACCESS)
    return _access(flavor_id, catalog.flavor_access(request.backends().api_url, flavor_id))


def _access(flavor_id: str, projects: list[str]) -> dict:
    return {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": project}
                              for project in projects]}


def action(flavor_id: str) -> dict:
    """POST /flavors/{flavor_id}/action: addTenantAccess or removeTenantAccess (admin)."""
    document = request.raw_body()
    if not isinstance(document, dict) or len(document) != 1:
        raise errors.BadRequest("Malformed request body: expected one action")
    name = next(iter(document))
    if name not in schemas.ACCESS_ACTIONS:
        raise errors.BadRequest(f"There is no such action: {name}")
    validation.validate(schemas.ACCESS_ACTIONS[name], document)
    project_id = document[name]["tenant"]
    api_url = request.backends().api_url
    if name == "addTenantAccess":
        request.authorize(policies.FLAVOR_ACCESS_ADD)
        return _access(flavor_id, catalog.add_flavor_access(api_url, flavor_id, project_id))
    request.authorize(policies.FLAVOR_ACCESS_REMOVE)
    return _access(flavor_id, catalog.remove_flavor_access(api_url, flavor_id, project_id))


def extra_specs_index(flavor_id: str) -> dict:
    """GET /flavors/{flavor_id}/os-extra_specs"""
    request.authorize(policies.FLAVOR_EXTRA_SPECS_INDEX)
    flavor = catalog.get_visible_flavor(request.backends().api_url, flavor_id,
                                        request.context())
    return {"extra_specs": dict(flavor.extra_specs)}


def extra_specs_create(flavor_id: str) -> dict:
    """POST /flavors/{flavor_id}/os-extra_specs (admin): add or overwrite several."""
    request.authorize(policies.FLAVOR_EXTRA_SPECS_CREATE)
    specs = request.body(schemas.EXTRA_SPECS_CREATE, "extra_specs")
    _validate(specs)
    return {"extra_specs": catalog.set_extra_specs(request.backends().api_url, flavor_id,
                                                   specs)}


def extra_spec_show(flavor_id: str, key: str) -> dict:
    """GET /flavors/{flavor_id}/os-extra_specs/{key}"""
    request.authorize(policies.FLAVOR_EXTRA_SPECS_SHOW)
    return {key: catalog.extra_spec(request.backends().api_url, flavor_id, key,
                                    request.context())}


def extra_spec_update(flavor_id: str, key: str) -> dict:
    """PUT /flavors/{flavor_id}/os-extra_specs/{key} (admin): body ``{key: value}``."""
    request.authorize(policies.FLAVOR_EXTRA_SPECS_UPDATE)
    document = request.raw_body()
    validation.validate(schemas.EXTRA_SPEC_UPDATE, document)
    if key not in document:
        raise errors.BadRequest("Request body and URI mismatch")
    _validate(document)
    return catalog.set_extra_specs(request.backends().api_url, flavor_id,
                                   {key: document[key]})


def _validate(specs: dict[str, Any]) -> None:
    """From 2.86 the known extra specs are checked (see domain/extra_specs.py)."""
    if request.at_least("2.86"):
        extra_specs.validate({key: value if isinstance(value, str) else str(value)
                              for key, value in specs.items()})


def extra_spec_delete(flavor_id: str, key: str) -> tuple[str, int]:
    """DELETE /flavors/{flavor_id}/os-extra_specs/{key} (admin)"""
    request.authorize(policies.FLAVOR_EXTRA_SPECS_DELETE)
    catalog.delete_extra_spec(request.backends().api_url, flavor_id, key)
    return "", 202
