"""/v2.1/os-server-groups"""

from __future__ import annotations

from api_cell.api import policies, request
from api_cell.api.domain import server_groups
from api_cell.api.schemas import server_groups as schemas
from api_cell.api.schemas import types
from api_cell.api.views import server_groups as view


def _shape(group) -> dict:
    return view.show(group, request.at_least("2.13"), request.at_least("2.64"))


def create() -> dict:
    """POST /os-server-groups (200)."""
    request.authorize(policies.GROUPS_CREATE)
    new_style = request.at_least("2.64")
    fields = request.body(schemas.create(request.at_least("2.15"), new_style), "server_group",
                          ())
    policy = fields["policy"] if new_style else fields["policies"][0]
    rules = fields.get("rules", {}) if new_style else {}
    group = server_groups.create(request.backends(), request.context(), fields["name"],
                                 policy, rules)
    return {"server_group": _shape(group)}


def index() -> dict:
    """GET /os-server-groups (``all_projects`` for admins, ``limit``/``offset``)."""
    request.authorize(policies.GROUPS_INDEX)
    all_projects = bool(request.bool_param("all_projects"))
    if all_projects and not request.allowed(policies.GROUPS_INDEX_ALL):
        all_projects = False  # as Nova: a tenant asking for all sees its own
    # Beyond any number of groups; the database refuses offsets past 64 bits (a 500).
    offset = request.int_param("offset", maximum=types.MAX_INT)
    groups = server_groups.list_groups(request.backends(), request.context(), all_projects,
                                       request.int_param("limit"), offset)
    return {"server_groups": [_shape(g) for g in groups]}


def show(group_id: str) -> dict:
    """GET /os-server-groups/{id}"""
    group = server_groups.get(request.backends(), request.context(), group_id)
    request.authorize(policies.GROUPS_SHOW, {"project_id": group.project_id})
    return {"server_group": _shape(group)}


def delete(group_id: str) -> tuple[str, int]:
    """DELETE /os-server-groups/{id} (204)."""
    group = server_groups.get(request.backends(), request.context(), group_id)
    request.authorize(policies.GROUPS_DELETE, {"project_id": group.project_id})
    server_groups.delete(request.backends(), group.uuid)
    return "", 204
