"""/v2.1/servers"""

from __future__ import annotations

import dataclasses

from api_cell.api import errors, policies, request
from api_cell.api.domain import (
    actions,
    hosts,
    records,
    server_filters,
    server_groups,
    servers,
)
from api_cell.api.schemas import servers as schemas
from api_cell.api.views import links
from api_cell.api.views import servers as view

UNAVAILABLE_CELLS_HEADER = "X-Cellar-Unavailable-Cells"


def create() -> tuple[dict, int, dict[str, str]]:
    """POST /servers: accept a server for building (202)."""
    request.authorize(policies.SERVERS_CREATE)
    fields = request.body(schemas.create(tuple(request.version())), "server",
                          schemas.INTEGER_FIELDS)
    _one_server_only(fields)
    document = request.raw_body()
    hints = document.get("os:scheduler_hints") or document.get(
        "OS-SCH-HNT:scheduler_hints") or {}
    wanted = servers.NewServer(name=fields["name"], flavor_ref=str(fields["flavorRef"]),
                               image_ref=fields["imageRef"],
                               metadata=fields.get("metadata", {}),
                               availability_zone=fields.get("availability_zone"),
                               key_name=fields.get("key_name"),
                               group_uuid=hints.get("group"),
                               description=fields.get("description"))
    accepted = servers.create(request.backends(), request.context(), wanted)
    base = request.base_url()
    return ({"server": view.created(accepted.uuid, accepted.admin_pass, base)}, 202,
            {"Location": links.self_href(base, "servers", accepted.uuid)})


def _one_server_only(fields: dict) -> None:
    min_count, max_count = fields.get("min_count", 1), fields.get("max_count", 1)
    if min_count > max_count:
        raise errors.BadRequest("min_count must be <= max_count")
    if max_count > 1:
        raise errors.BadRequest("Creating more than one server per request is not "
                                "supported yet.")


def index() -> tuple[dict, int, dict[str, str]]:
    """GET /servers"""
    return _list("servers", view.summary)


def detail() -> tuple[dict, int, dict[str, str]]:
    """GET /servers/detail"""
    show_host = request.allowed(policies.SERVERS_SHOW_HOST)
    version = tuple(request.version())
    extra_specs = request.allowed(policies.FLAVOR_EXTRA_SPECS_INDEX)
    return _list("servers/detail",
                 lambda s, base: view.detail(s, base, show_host, version, extra_specs))


def _list(path: str, shape) -> tuple[dict, int, dict[str, str]]:
    request.authorize(policies.SERVERS_INDEX)
    all_projects = bool(request.bool_param("all_tenants"))
    if all_projects:
        request.authorize(policies.SERVERS_ALL_TENANTS)
    filters = _filters()
    if filters:
        page = server_filters.list_page(request.backends(), request.context(),
                                        limit=request.int_param("limit"),
                                        marker=request.query().get("marker"),
                                        all_projects=all_projects, filters=filters)
    else:
        page = servers.list_page(request.backends(), request.context(),
                                 limit=request.int_param("limit"),
                                 marker=request.query().get("marker"),
                                 all_projects=all_projects)
    base = request.base_url()
    document: dict = {"servers": [shape(s, base) for s in _with_host_status(page.servers)]}
    if page.next_marker is not None:
        document["servers_links"] = links.next_page(base, path, request.query(),
                                                    page.next_marker)
    headers = {}
    if page.unavailable_cells:
        headers[UNAVAILABLE_CELLS_HEADER] = ",".join(page.unavailable_cells)
    return document, 200, headers


def show(server_id: str) -> dict:
    """GET /servers/{server_id}"""
    backends = request.backends()
    mapping = servers.find(backends, request.context(), server_id)
    request.authorize(policies.SERVERS_SHOW, {"project_id": mapping.project_id})
    [server] = _with_host_status([servers.show(backends, mapping)])
    show_host = request.allowed(policies.SERVERS_SHOW_HOST)
    return {"server": view.detail(server, request.base_url(), show_host,
                                  tuple(request.version()),
                                  request.allowed(policies.FLAVOR_EXTRA_SPECS_INDEX))}


def _with_host_status(found: list) -> list:
    """The servers with ``host_status`` filled in, for those who may see it (2.16)."""
    if not request.at_least("2.16") or not request.allowed(policies.SERVERS_HOST_STATUS):
        return found
    placed = [s for s in found if isinstance(s, records.Server)]
    statuses = hosts.host_statuses(request.backends(), [s.host for s in placed if s.host])
    return [dataclasses.replace(s, host_status=statuses.get(s.host, "UNKNOWN")
                                if s.host else "")
            if isinstance(s, records.Server) else s for s in found]


def _filters() -> server_filters.Filters | None:
    """The list filters of the query (status; tags from 2.26); None if there are none."""
    query = request.query()
    tag_names = ("tags", "tags-any", "not-tags", "not-tags-any")
    wanted = server_filters.Filters(
        status=query.get("status"),
        **{name.replace("-", "_"): server_filters.split_tags(query[name])
           for name in tag_names if name in query and request.at_least("2.26")})
    return wanted if wanted.any() else None


def delete(server_id: str) -> tuple[str, int]:
    """DELETE /servers/{server_id}"""
    backends = request.backends()
    mapping = servers.find(backends, request.context(), server_id)
    request.authorize(policies.SERVERS_DELETE, {"project_id": mapping.project_id})
    actions.delete(backends, request.context(), mapping)
    server_groups.forget_server(backends, mapping.instance_uuid)
    return "", 204
