"""/v2.1/servers"""

from __future__ import annotations

import dataclasses

import flask

from api_cell.api import errors, policies, request
from api_cell.api.domain import (
    actions,
    aggregates,
    catalog,
    hosts,
    records,
    server_filters,
    server_groups,
    server_update,
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
    min_count, max_count = _counts(fields)
    catalog.check_usable(request.backends().api_url, request.context(),
                         str(fields["flavorRef"]))
    _image_mapping_only(fields)
    document = request.raw_body()
    hints = document.get("os:scheduler_hints") or document.get(
        "OS-SCH-HNT:scheduler_hints") or {}
    zone = aggregates.parse_requested_zone(fields.get("availability_zone"))
    aggregates.check_zone(request.backends(), zone.zone)
    wanted = servers.NewServer(name=fields["name"], flavor_ref=str(fields["flavorRef"]),
                               image_ref=fields["imageRef"],
                               metadata=fields.get("metadata", {}),
                               availability_zone=zone.zone,
                               key_name=fields.get("key_name"),
                               group_uuid=hints.get("group"),
                               description=fields.get("description"),
                               tags=tuple(fields.get("tags", ())),
                               trusted_certs=_trusted_certs(fields),
                               destination=_destination(fields, zone),
                               hostname=fields.get("hostname"), hints=dict(hints),
                               networks=fields.get("networks"),
                               min_count=min_count, max_count=max_count,
                               access_ip_v4=fields.get("accessIPv4") or None,
                               access_ip_v6=fields.get("accessIPv6") or None,
                               config_drive=_true(fields.get("config_drive", False)))
    accepted = servers.create(request.backends(), request.context(), wanted)
    return _created(accepted, _true(fields.get("return_reservation_id", False)))


def _true(value: bool | str) -> bool:
    """A boolean body field the schema checked: JSON true or one of Nova's true words."""
    return value in (True, *schemas.TRUE_WORDS)


def _trusted_certs(fields: dict) -> tuple[str, ...] | None:
    certs = fields.get("trusted_image_certificates")
    return None if certs is None else tuple(certs)


def _destination(fields: dict, zone: aggregates.RequestedZone) -> dict[str, str] | None:
    """The host/node an admin asked for (2.74, or ``zone:host[:node]`` as
    availability_zone), checked to exist; None if not asked."""
    host, node = fields.get("host"), fields.get("hypervisor_hostname")
    if zone.forces_host:
        if host is not None or node is not None:
            raise errors.BadRequest("A host in availability_zone and host or "
                                    "hypervisor_hostname cannot be given together.")
        request.authorize(policies.SERVERS_CREATE_FORCED_HOST)
        host, node = zone.host, zone.node
    elif host is None and node is None:
        return None
    else:
        request.authorize(policies.SERVERS_CREATE_DESTINATION)
    return hosts.destination(request.backends(), host, node)


def _image_mapping_only(fields: dict) -> None:
    """A block device mapping may only repeat imageRef (the schema allows no other)."""
    image_id = fields["imageRef"].rstrip("/").rsplit("/", 1)[-1]
    for mapping in fields.get("block_device_mapping_v2", ()):
        if mapping["uuid"] != image_id:
            raise errors.BadRequest("A block device mapping may only name the image of "
                                    "imageRef: Cellar boots servers from images only.")


def _counts(fields: dict) -> tuple[int, int]:
    """min_count and max_count; as in Nova, max_count defaults to min_count."""
    min_count = fields.get("min_count", 1)
    max_count = fields.get("max_count", min_count)
    if min_count > max_count:
        raise errors.BadRequest("min_count must be <= max_count")
    return min_count, max_count


def _created(accepted: servers.Accepted, return_reservation_id: bool
             ) -> tuple[dict, int, dict[str, str]]:
    """The create reply: the first server, or only the reservation id if asked for."""
    if return_reservation_id:
        return {"reservation_id": accepted.reservation_id}, 202, {}
    base = request.base_url()
    return ({"server": view.created(accepted.uuid, accepted.admin_pass, base)}, 202,
            {"Location": links.self_href(base, "servers", accepted.uuid)})


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
    sort = server_filters.parse_sort(flask.request.args.getlist("sort_key"),
                                     flask.request.args.getlist("sort_dir"),
                                     request.context().is_admin, request.at_least("2.73"))
    if filters or sort != server_filters.DEFAULT_SORT:
        page = server_filters.list_page(request.backends(), request.context(),
                                        limit=request.int_param("limit"),
                                        marker=request.query().get("marker"),
                                        all_projects=all_projects,
                                        filters=filters or server_filters.Filters(),
                                        sort=sort)
    else:
        page = servers.list_page(request.backends(), request.context(),
                                 limit=request.int_param("limit"),
                                 marker=request.query().get("marker"),
                                 all_projects=all_projects)
    base = request.base_url()
    document: dict = {"servers": [shape(s, base) for s in _with_host_status(
        _shown_while_down(page.servers))]}
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
    [server] = _with_host_status([servers.show(backends, mapping,
                                               minimal_if_down=request.at_least("2.69"))])
    show_host = request.allowed(policies.SERVERS_SHOW_HOST)
    return {"server": view.detail(server, request.base_url(), show_host,
                                  tuple(request.version()),
                                  request.allowed(policies.FLAVOR_EXTRA_SPECS_INDEX),
                                  server_groups.groups_of(backends, server.uuid))}


def update(server_id: str) -> dict:
    """PUT /servers/{server_id}: rename, change the description (2.19) or the
    hostname (2.90); the reply is the whole server, as GET shows it (which 2.75
    requires; older versions get the same superset)."""
    backends = request.backends()
    mapping = servers.find(backends, request.context(), server_id)
    request.authorize(policies.SERVERS_UPDATE, {"project_id": mapping.project_id})
    fields = request.body(schemas.update(tuple(request.version())), "server")
    server_update.update(backends, mapping,
                         name=fields.get("name", server_update.UNCHANGED),
                         description=fields.get("description", server_update.UNCHANGED),
                         hostname=fields.get("hostname", server_update.UNCHANGED),
                         access_ip_v4=access_address(fields, "accessIPv4"),
                         access_ip_v6=access_address(fields, "accessIPv6"))
    return show(server_id)


def access_address(fields: dict, name: str) -> str | None | object:
    """An access address of an update or rebuild body: UNCHANGED if left out, None to
    clear it (an empty string, as Nova takes it)."""
    if name not in fields:
        return server_update.UNCHANGED
    return fields[name] or None


def topology(server_id: str) -> dict:
    """GET /servers/{server_id}/topology (2.78): the guest's NUMA layout.

    Cellar's agents pin no guest to host NUMA cells, so every server has none: the
    answer Nova gives for a server without a NUMA topology.
    """
    mapping = servers.find(request.backends(), request.context(), server_id)
    request.authorize(policies.SERVERS_TOPOLOGY, {"project_id": mapping.project_id})
    return {"nodes": [], "pagesize_kb": None}


def _shown_while_down(found: list) -> list:
    """The servers a list shows: those of down cells as minimal records from 2.69,
    left out before it as Nova does (the unavailable-cells header still names them).
    """
    if request.at_least("2.69"):
        return found
    return [s for s in found if not isinstance(s, records.UnknownServer)]


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
    """The list filters of the query, None if there are none: for everyone status,
    changes-since, ip, name, image, flavor, reservation_id; ip6 from 2.5; tags from
    2.26; changes-before from 2.66; locked from 2.73; vm_state, task_state,
    power_state, availability_zone, user_id, key_name, config_drive, progress,
    created_at, launched_at and terminated_at for admins, and from 2.83 for everyone;
    description, access_ip_v4 and access_ip_v6 for admins.

    From 2.75 a parameter the API does not know is 400; the ones Nova knows and
    Cellar does not filter on yet are still ignored (see doc/compute_api.rst).
    """
    query = request.query()
    if request.at_least("2.75"):
        unknown = sorted(set(query) - _known_list_params())
        if unknown:
            raise errors.BadRequest(f"Invalid input for query parameters {unknown[0]}. "
                                    "Additional properties are not allowed.")
    tag_names = ("tags", "tags-any", "not-tags", "not-tags-any")
    wanted = server_filters.Filters(
        status=query.get("status"),
        exact={**_exact_filters(), **_public_exact_filters()},
        flavor=_last_segment(query["flavor"]) if "flavor" in query else None,
        reservation_id=query.get("reservation_id"),
        searched=_searched_filters(),
        changes_since=_time_param("changes-since"),
        changes_before=_time_param("changes-before") if request.at_least("2.66") else None,
        ip=query.get("ip") or None,
        ip6=(query.get("ip6") or None) if _allowed_ip6() else None,
        **{name.replace("-", "_"): server_filters.split_tags(query[name])
           for name in tag_names if name in query and request.at_least("2.26")})
    if wanted.changes_since is not None and wanted.changes_before is not None and \
            wanted.changes_since > wanted.changes_before:
        raise errors.BadRequest("The value of changes-since must be less than or equal "
                                "to changes-before.")
    return wanted if wanted.any() else None


# Filters on instance columns; until 2.83 only administrators' are applied (Nova
# drops them from other callers' queries).
_EXACT_FILTERS = ("vm_state", "task_state", "availability_zone", "user_id")


_TIME_FILTERS = ("created_at", "launched_at", "terminated_at")


def _exact_filters() -> dict:
    if not request.context().is_admin and not request.at_least("2.83"):
        return {}
    query = request.query()
    exact = {name: query[name] for name in _EXACT_FILTERS if name in query}
    if "power_state" in query:
        exact["power_state"] = request.int_param("power_state")
    exact.update({name: _time_param(name) for name in _TIME_FILTERS if name in query})
    return exact


def _public_exact_filters() -> dict:
    """The column filters for everyone: the image (an id or a link to it) and, from
    2.73, whether the server is locked."""
    query = request.query()
    exact = {}
    if "image" in query:
        exact["image_ref"] = _last_segment(query["image"])
    if request.at_least("2.73") and "locked" in query:
        exact["locked"] = request.bool_param("locked")
    return exact


# Regular expression filters on instance columns, beyond name (for everyone): for
# admins, and from 2.83 for everyone; for admins only. Nova drops the others'.
_SEARCHED_FROM_2_83 = ("key_name", "config_drive", "progress")
_SEARCHED_BY_ADMINS = ("description", "access_ip_v4", "access_ip_v6")


def _searched_filters() -> dict:
    """The regular expression filters on instance columns, by column."""
    query = request.query()
    names = ["name"]
    if request.context().is_admin or request.at_least("2.83"):
        names += _SEARCHED_FROM_2_83
    if request.context().is_admin:
        names += _SEARCHED_BY_ADMINS
    return {server_filters.SEARCHED_COLUMNS[name]: server_filters.regex(name, query[name])
            for name in names if name in query}


def _allowed_ip6() -> bool:
    """Whether ``ip6`` filters: for admins, and from 2.5 for everyone (as in Nova)."""
    return request.context().is_admin or request.at_least("2.5")


def _last_segment(ref: str) -> str:
    """The id a reference names: itself, or the last path segment of a link."""
    return ref.rstrip("/").rsplit("/", 1)[-1]


def _time_param(name: str):
    text = request.query().get(name)
    return None if text is None else server_filters.parse_time(name, text)


def _known_list_params() -> frozenset[str]:
    known = set(schemas.LIST_PARAMS)
    if request.at_least("2.66"):
        known.add("changes-before")
    if request.at_least("2.73"):
        known.add("locked")
    return frozenset(known)


def delete(server_id: str) -> tuple[str, int]:
    """DELETE /servers/{server_id}"""
    backends = request.backends()
    mapping = servers.find(backends, request.context(), server_id)
    request.authorize(policies.SERVERS_DELETE, {"project_id": mapping.project_id})
    actions.delete(backends, request.context(), mapping)
    server_groups.forget_server(backends, mapping.instance_uuid)
    return "", 204
