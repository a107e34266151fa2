"""/v2.1/os-services, /v2.1/os-hypervisors and /v2.1/os-availability-zone."""

from __future__ import annotations

import fnmatch
from typing import Any

from api_cell.api import errors, policies, request, validation
from api_cell.api.domain import hosts
from api_cell.api.views import links

_HOST_BINARY = {"type": "object", "properties": {
    "host": {"type": "string", "minLength": 1, "maxLength": 255},
    "binary": {"type": "string", "minLength": 1, "maxLength": 255},
    "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
    "forced_down": {"type": "boolean"}},
    "required": ["host", "binary"], "additionalProperties": False}


def _service_view(service: hosts.Service) -> dict[str, Any]:
    record = service.record
    view = {"id": record.id, "binary": record.binary, "host": record.host,
            "zone": service.zone, "status": "disabled" if record.disabled else "enabled",
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
    found = hosts.services(request.backends(), query.get("host"), query.get("binary"))
    return {"services": [_service_view(s) for s in found]}


def services_update(action: str) -> dict:
    """PUT /os-services/{enable|disable|disable-log-reason|force-down}"""
    request.authorize(policies.SERVICES_UPDATE)
    actions = {"enable", "disable", "disable-log-reason"}
    if request.at_least("2.11"):
        actions.add("force-down")
    if action not in actions:
        raise errors.NotFound(f"Unknown action {action}")
    body = request.raw_body()
    validation.validate(_HOST_BINARY, body)
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


def services_delete(service_id: str) -> tuple[str, int]:
    """DELETE /os-services/{id} (204)."""
    request.authorize(policies.SERVICES_DELETE)
    hosts.delete_service(request.backends(), service_id)
    return "", 204


def _hypervisor_view(h: hosts.Hypervisor, detail: bool) -> dict[str, Any]:
    node = h.node
    view: dict[str, Any] = {"id": node.id, "hypervisor_hostname": node.hypervisor_hostname,
                            "state": "up" if h.up else "down",
                            "status": "disabled" if node.service and node.service.disabled
                            else "enabled"}
    if detail:
        used = h.usage
        vcpus_used = int(used.get("VCPU", 0))
        ram_used = int(used.get("MEMORY_MB", 0))
        disk_used = int(used.get("DISK_GB", 0))
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
            "service": {"host": node.host, "id": node.service.id if node.service else None,
                        "disabled_reason": node.service.disabled_reason
                        if node.service else None}})
    return view


def _page(found: list[hosts.Hypervisor], path: str) -> tuple[list, dict]:
    """From 2.33: ``limit`` and ``marker`` (a hypervisor id), and a next link."""
    if not request.at_least("2.33"):
        return found, {}
    found = sorted(found, key=lambda h: (h.node.id, h.cell.id))
    marker = request.query().get("marker")
    if marker is not None:
        ids = [str(h.node.id) for h in found]
        if marker not in ids:
            raise errors.BadRequest(f"marker [{marker}] not found")
        # Ids are per cell before 2.53: continue after the last hypervisor with it.
        found = found[len(ids) - ids[::-1].index(marker):]
    limit = request.int_param("limit", minimum=1)
    if limit is None or len(found) <= limit:
        return found, {}
    found = found[:limit]
    return found, {"hypervisors_links": links.next_page(
        request.base_url(), path, request.query(), str(found[-1].node.id))}


def hypervisors_index() -> dict:
    request.authorize(policies.HYPERVISORS_LIST)
    found, extra = _page(hosts.hypervisors(request.backends(), False), "os-hypervisors")
    return {"hypervisors": [_hypervisor_view(h, False) for h in found], **extra}


def hypervisors_detail() -> dict:
    request.authorize(policies.HYPERVISORS_DETAIL)
    found, extra = _page(hosts.hypervisors(request.backends(), True),
                         "os-hypervisors/detail")
    views = []
    for h in found:
        view = _hypervisor_view(h, True)
        view["running_vms"] = len(hosts.servers_on(request.backends(), h))
        views.append(view)
    return {"hypervisors": views, **extra}


def hypervisors_show(hypervisor_id: str) -> dict:
    request.authorize(policies.HYPERVISORS_SHOW)
    if not hypervisor_id.isdigit():
        raise errors.BadRequest(f"Invalid hypervisor id {hypervisor_id}")
    matches = [h for h in hosts.hypervisors(request.backends(), True)
               if str(h.node.id) == hypervisor_id]
    if not matches:
        raise errors.NotFound(f"Hypervisor with ID {hypervisor_id} could not be found.")
    view = _hypervisor_view(matches[0], True)
    view["running_vms"] = len(hosts.servers_on(request.backends(), matches[0]))
    return {"hypervisor": view}


def _matching(pattern: str) -> list[hosts.Hypervisor]:
    found = [h for h in hosts.hypervisors(request.backends(), False)
             if fnmatch.fnmatch(h.node.hypervisor_hostname, f"*{pattern}*")]
    if not found:
        raise errors.NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return found


def hypervisors_servers(pattern: str) -> dict:
    """GET /os-hypervisors/{pattern}/servers"""
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
    """GET /os-hypervisors/{pattern}/search"""
    request.authorize(policies.HYPERVISORS_LIST)
    return {"hypervisors": [_hypervisor_view(h, False) for h in _matching(pattern)]}


def zones_index() -> dict:
    """GET /os-availability-zone: the single default zone (aggregates come later)."""
    request.authorize(policies.AZ_LIST)
    return {"availabilityZoneInfo": [{"zoneName": hosts.DEFAULT_ZONE,
                                      "zoneState": {"available": True}, "hosts": None}]}


def zones_detail() -> dict:
    """GET /os-availability-zone/detail (admin): zones with their hosts and services."""
    request.authorize(policies.AZ_DETAIL)
    zones: dict[str, dict[str, dict]] = {hosts.DEFAULT_ZONE: {}}
    for service in hosts.services(request.backends()):
        entry = zones.setdefault(service.zone, {}).setdefault(service.record.host, {})
        entry[service.record.binary] = {
            "available": service.up and not service.record.disabled,
            "active": not service.record.disabled,
            "updated_at": links.isotime(service.record.last_seen_up)}
    return {"availabilityZoneInfo": [
        {"zoneName": name, "zoneState": {"available": True}, "hosts": members or None}
        for name, members in zones.items()]}
