"""/v2.1/os-services, /v2.1/os-hypervisors and /v2.1/os-availability-zone."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from api_cell.api import errors, policies, request, validation
from api_cell.api.domain import aggregates, hosts
from api_cell.api.schemas import hosts as schemas
from api_cell.api.views import links

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
# The query of hypervisor lists from 2.53 (anything else is 400).
_HYPERVISOR_LIST_PARAMS = frozenset({"limit", "marker", "hypervisor_hostname_pattern",
                                     "with_servers"})


def _uuid_id(value: str) -> str:
    """A path id that must be a uuid from 2.53 on."""
    if not _UUID_RE.match(value):
        raise errors.BadRequest(f"Invalid uuid {value}")
    return value


def _zones_of(found: list) -> dict[str, str]:
    """The availability zone of the host of each compute service among ``found``."""
    return aggregates.zones_of_hosts(request.backends(), [
        s.record.host for s in found
        if isinstance(s, hosts.Service) and s.record.binary == hosts.COMPUTE_BINARY])


def _service_view(service: hosts.Service, zones: dict[str, str]) -> dict[str, Any]:
    record = service.record
    view = {"id": record.uuid if request.at_least("2.53") else record.id,
            "binary": record.binary, "host": record.host,
            "zone": zones.get(record.host, service.zone),
            "status": "disabled" if record.disabled else "enabled",
            "state": "up" if service.up else "down",
            "updated_at": links.isotime(record.last_seen_up or record.updated_at),
            "disabled_reason": record.disabled_reason}
    if request.at_least("2.11"):
        view["forced_down"] = record.forced_down
    return view


def services_index() -> dict:
    """GET /os-services (admin; ``host``, ``binary`` filters)."""
    request.authorize(policies.SERVICES_LIST)
    query = request.query()
    if not request.at_least("2.69"):
        found = hosts.services(request.backends(), query.get("host"), query.get("binary"))
        zones = _zones_of(found)
        return {"services": [_service_view(s, zones) for s in found]}
    # From 2.69 a cell that does not answer gives minimal records of its computes.
    found = hosts.services_or_minimal(request.backends(), query.get("host"),
                                      query.get("binary"))
    zones = _zones_of(found)
    return {"services": [_service_view(s, zones) if isinstance(s, hosts.Service) else
                         {"binary": s.binary, "host": s.host, "status": "UNKNOWN"}
                         for s in found]}


def services_update(action: str) -> dict:
    """PUT /os-services/{enable|disable|disable-log-reason|force-down}; from 2.53
    PUT /os-services/{service_uuid}."""
    request.authorize(policies.SERVICES_UPDATE)
    if request.at_least("2.53"):
        return _update_by_uuid(_uuid_id(action))
    actions = {"enable", "disable", "disable-log-reason"}
    if request.at_least("2.11"):
        actions.add("force-down")
    if action not in actions:
        raise errors.NotFound(f"Unknown action {action}")
    body = request.raw_body()
    validation.validate(schemas.HOST_BINARY, body)
    service = hosts.find_service(request.backends(), body["host"], body["binary"])
    reply: dict[str, Any] = {"host": body["host"], "binary": body["binary"]}
    if action == "force-down":
        if "forced_down" not in body:
            raise errors.BadRequest("Missing forced_down field")
        hosts.update_service(request.backends(), service, forced_down=body["forced_down"])
        reply["forced_down"] = body["forced_down"]
    elif action == "enable":
        hosts.update_service(request.backends(), service, disabled=False,
                             disabled_reason=None)
        reply["status"] = "enabled"
    else:
        reason = body.get("disabled_reason")
        if action == "disable-log-reason" and not reason:
            raise errors.BadRequest("Missing disabled reason field")
        hosts.update_service(request.backends(), service, disabled=True,
                             disabled_reason=reason if action == "disable-log-reason"
                             else None)
        reply["status"] = "disabled"
        if action == "disable-log-reason":
            reply["disabled_reason"] = reason
    return {"service": reply}


def _update_by_uuid(service_uuid: str) -> dict:
    """PUT /os-services/{uuid} (2.53): status, disabled_reason, forced_down at once;
    the reply is the whole service."""
    body = request.raw_body()
    validation.validate(schemas.SERVICE_UPDATE, body)
    if not body:
        raise errors.BadRequest("No updates were requested. Fields 'status' or "
                                "'forced_down' should be specified.")
    if "disabled_reason" in body and body.get("status") != "disabled":
        raise errors.BadRequest("Specifying 'disabled_reason' with status other than "
                                "'disabled' is invalid.")
    service = hosts.service_by_uuid(request.backends(), service_uuid)
    if service.record.binary != hosts.COMPUTE_BINARY:
        raise errors.BadRequest(f"Updating a {service.record.binary} service is not "
                                "supported. Only compute services can be updated.")
    values: dict[str, Any] = {}
    if "status" in body:
        values["disabled"] = body["status"] == "disabled"
        values["disabled_reason"] = body.get("disabled_reason")
    if "forced_down" in body:
        values["forced_down"] = body["forced_down"]
    hosts.update_service(request.backends(), service, **values)
    service = hosts.service_by_uuid(request.backends(), service_uuid)
    return {"service": _service_view(service, _zones_of([service]))}


def services_delete(service_id: str) -> tuple[str, int]:
    """DELETE /os-services/{id} (204); the id is the service's uuid from 2.53."""
    request.authorize(policies.SERVICES_DELETE)
    if request.at_least("2.53"):
        hosts.delete_service_by_uuid(request.backends(), _uuid_id(service_id))
    else:
        hosts.delete_service(request.backends(), service_id)
    return "", 204


def _hypervisor_view(h: hosts.Hypervisor, detail: bool) -> dict[str, Any]:
    """A hypervisor; from 2.53 it and its service are named by uuid."""
    node = h.node
    by_uuid = request.at_least("2.53")
    view: dict[str, Any] = {"id": node.uuid if by_uuid else node.id,
                            "hypervisor_hostname": node.hypervisor_hostname,
                            "state": "up" if h.up else "down",
                            "status": "disabled" if node.service and node.service.disabled
                            else "enabled"}
    if detail and request.at_least("2.88"):
        view.update(_detail_from_2_88(h))
    elif detail:
        used = h.usage
        vcpus_used = int(used.get("VCPU", 0))
        ram_used = int(used.get("MEMORY_MB", 0))
        disk_used = int(used.get("DISK_GB", 0))
        service_id = None
        if node.service:
            service_id = node.service.uuid if by_uuid else node.service.id
        view.update({
            "vcpus": node.vcpus, "memory_mb": node.memory_mb, "local_gb": node.local_gb,
            "vcpus_used": vcpus_used, "memory_mb_used": ram_used,
            "local_gb_used": disk_used, "free_ram_mb": node.memory_mb - ram_used,
            "free_disk_gb": node.local_gb - disk_used, "current_workload": 0,
            "running_vms": 0, "disk_available_least": node.local_gb - disk_used,
            "hypervisor_type": node.hypervisor_type, "hypervisor_version": 0,
            "host_ip": node.rpc_address.rsplit(":", 1)[0],
            # A JSON object from 2.28, its text before.
            "cpu_info": {} if request.at_least("2.28") else "{}",
            "service": {"host": node.host, "id": service_id,
                        "disabled_reason": node.service.disabled_reason
                        if node.service else None}})
    return view


def _detail_from_2_88(h: hosts.Hypervisor) -> dict[str, Any]:
    """2.88 drops the usage and capacity fields (placement has them) and adds
    ``uptime``, which Cellar's agents do not report (null, as for a driver without
    it)."""
    node = h.node
    return {"hypervisor_type": node.hypervisor_type, "hypervisor_version": 0,
            "host_ip": node.rpc_address.rsplit(":", 1)[0], "uptime": None,
            "service": {"host": node.host,
                        "id": node.service.uuid if node.service else None,
                        "disabled_reason": node.service.disabled_reason
                        if node.service else None}}


def _page(found: list[hosts.Hypervisor], path: str) -> tuple[list, dict]:
    """From 2.33: ``limit`` and ``marker`` (a hypervisor id; a uuid from 2.53)."""
    if not request.at_least("2.33"):
        return found, {}
    by_uuid = request.at_least("2.53")

    def key(h: hosts.Hypervisor) -> str:
        return h.node.uuid if by_uuid else str(h.node.id)

    found = sorted(found, key=(lambda h: h.node.uuid) if by_uuid
                   else (lambda h: (h.node.id, h.cell.id)))
    marker = request.query().get("marker")
    if marker is not None:
        ids = [key(h) for h in found]
        if marker not in ids:
            raise errors.BadRequest(f"marker [{marker}] not found")
        # Ids are per cell before 2.53: continue after the last hypervisor with it.
        found = found[len(ids) - ids[::-1].index(marker):]
    limit = request.int_param("limit", minimum=1)
    if limit is None or len(found) <= limit:
        return found, {}
    found = found[:limit]
    return found, {"hypervisors_links": links.next_page(
        request.base_url(), path, request.query(), key(found[-1]))}


def _listed(detail: bool, path: str) -> dict:
    """GET /os-hypervisors[/detail]; from 2.53 ``hypervisor_hostname_pattern`` (no
    paging with it) and ``with_servers``."""
    pattern, with_servers = None, False
    if request.at_least("2.53"):
        query = request.query()
        unknown = sorted(set(query) - _HYPERVISOR_LIST_PARAMS)
        if unknown:
            raise errors.BadRequest(f"Invalid input for query parameters {unknown[0]}. "
                                    "Additional properties are not allowed.")
        pattern = query.get("hypervisor_hostname_pattern")
        with_servers = bool(request.bool_param("with_servers"))
        if pattern is not None and ("limit" in query or "marker" in query):
            raise errors.BadRequest("Paging over hypervisors with the "
                                    "hypervisor_hostname_pattern query parameter is not "
                                    "supported.")
    if pattern is not None:
        found, extra = _matching(pattern, detail), {}
    else:
        found, extra = _page(hosts.hypervisors(request.backends(), detail), path)
    return {"hypervisors": [_full_view(h, detail, with_servers) for h in found], **extra}


def _full_view(h: hosts.Hypervisor, detail: bool, with_servers: bool) -> dict[str, Any]:
    """The view with its servers: running_vms in details, ``servers`` if asked (2.53;
    present even when empty from 2.75, left out when empty before)."""
    view = _hypervisor_view(h, detail)
    counts = detail and not request.at_least("2.88")
    if not counts and not with_servers:
        return view
    servers = hosts.servers_on(request.backends(), h)
    if counts:
        view["running_vms"] = len(servers)
    if with_servers and (servers or request.at_least("2.75")):
        view["servers"] = [{"uuid": uuid, "name": name} for uuid, name in servers]
    return view


def hypervisors_index() -> dict:
    request.authorize(policies.HYPERVISORS_LIST)
    return _listed(False, "os-hypervisors")


def hypervisors_detail() -> dict:
    request.authorize(policies.HYPERVISORS_DETAIL)
    return _listed(True, "os-hypervisors/detail")


def hypervisors_show(hypervisor_id: str) -> dict:
    """GET /os-hypervisors/{id}: an integer id, a uuid from 2.53 (``with_servers``)."""
    request.authorize(policies.HYPERVISORS_SHOW)
    by_uuid = request.at_least("2.53")
    if by_uuid:
        _uuid_id(hypervisor_id)
    elif not hypervisor_id.isdigit():
        raise errors.BadRequest(f"Invalid hypervisor id {hypervisor_id}")
    matches = [h for h in hosts.hypervisors(request.backends(), True)
               if (h.node.uuid if by_uuid else str(h.node.id)) == hypervisor_id]
    if not matches:
        raise errors.NotFound(f"Hypervisor with ID {hypervisor_id} could not be found.")
    with_servers = by_uuid and bool(request.bool_param("with_servers"))
    return {"hypervisor": _full_view(matches[0], True, with_servers)}


def _matching(pattern: str, with_usage: bool = False) -> list[hosts.Hypervisor]:
    found = [h for h in hosts.hypervisors(request.backends(), with_usage)
             if fnmatch.fnmatch(h.node.hypervisor_hostname, f"*{pattern}*")]
    if not found:
        raise errors.NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return found


def hypervisors_servers(pattern: str) -> dict:
    """GET /os-hypervisors/{pattern}/servers (until 2.52)"""
    request.authorize(policies.HYPERVISORS_SERVERS)
    views = []
    for h in _matching(pattern):
        view = _hypervisor_view(h, False)
        servers = hosts.servers_on(request.backends(), h)
        if servers:
            view["servers"] = [{"uuid": uuid, "name": name} for uuid, name in servers]
        views.append(view)
    return {"hypervisors": views}


def hypervisors_search(pattern: str) -> dict:
    """GET /os-hypervisors/{pattern}/search (until 2.52)"""
    request.authorize(policies.HYPERVISORS_LIST)
    return {"hypervisors": [_hypervisor_view(h, False) for h in _matching(pattern)]}


def _zones() -> list[tuple[str, bool, list[hosts.Service]]]:
    """Each zone, whether it is available (it has an enabled service; the default zone
    without any host is), and its services: available zones first, by name."""
    backends = request.backends()
    zones = hosts.availability_zones(backends)
    zones.setdefault(backends.default_zone, [])
    found = [(name, not members or any(not s.record.disabled for s in members), members)
             for name, members in zones.items()]
    return sorted(found, key=lambda zone: (not zone[1], zone[0]))


def zones_index() -> dict:
    """GET /os-availability-zone: the zones of the compute hosts (host aggregates'
    availability_zone, else the default zone)."""
    request.authorize(policies.AZ_LIST)
    return {"availabilityZoneInfo": [
        {"zoneName": name, "zoneState": {"available": available}, "hosts": None}
        for name, available, _members in _zones() if name != hosts.INTERNAL_ZONE]}


def zones_detail() -> dict:
    """GET /os-availability-zone/detail (admin): zones with their hosts and services."""
    request.authorize(policies.AZ_DETAIL)
    found = []
    for name, available, members in _zones():
        by_host: dict[str, dict] = {}
        for service in members:
            by_host.setdefault(service.record.host, {})[service.record.binary] = {
                "available": service.up and not service.record.disabled,
                "active": not service.record.disabled,
                "updated_at": links.isotime(service.record.last_seen_up)}
        found.append({"zoneName": name, "zoneState": {"available": available},
                      "hosts": by_host or None})
    return {"availabilityZoneInfo": found}
