"""The server views of the compute API (as of microversion 2.1)."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from api_cell.api.domain.records import Server, UnknownServer
from api_cell.api.views import links
from common import hostnames, states


def host_id(project_id: str, host: str | None) -> str:
    """An opaque id of the host, the same for one project's servers on one host only."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def created(uuid: str, admin_pass: str, base_url: str) -> dict[str, Any]:
    """The reply to POST /servers."""
    return {"id": uuid, "links": links.resource(base_url, "servers", uuid),
            "adminPass": admin_pass, "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": "default"}]}


def unknown(server: UnknownServer, base_url: str) -> dict[str, Any]:
    """A server whose cell did not answer."""
    return {"id": server.uuid, "status": "UNKNOWN",
            "links": links.resource(base_url, "servers", server.uuid)}


def summary(server: Server | UnknownServer, base_url: str) -> dict[str, Any]:
    """The entry of GET /servers."""
    if isinstance(server, UnknownServer):
        return unknown(server, base_url)
    return {"id": server.uuid, "name": server.name,
            "links": links.resource(base_url, "servers", server.uuid)}


def detail(server: Server | UnknownServer, base_url: str,
           show_host: bool = False, version: tuple[int, int] = (2, 1),
           show_extra_specs: bool = False,
           server_groups: list[str] | None = None) -> dict[str, Any]:
    """The entry of GET /servers/detail and GET /servers/{id}; host only for admins.

    From 2.3 admins also see the rest of the extended attributes; from 2.9 everyone
    sees ``locked``; from 2.16
    ``host_status`` where the domain filled it in (admins); from 2.19 ``description``;
    from 2.26 ``tags``; from 2.47 the flavor itself instead of a link to it; from 2.63
    ``trusted_image_certificates``; from 2.71 ``server_groups`` (given only by the
    single-server views); from 2.73 ``locked_reason``; and what ``_from_2_90`` adds.
    """
    if isinstance(server, UnknownServer):
        return _unknown_detail(server, base_url, version, show_extra_specs, server_groups)
    view = {
        **summary(server, base_url),
        "status": server.status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "metadata": dict(server.metadata),
        "hostId": host_id(server.project_id, server.host),
        "image": _image(server, base_url),
        "flavor": {"id": server.flavor.get("id"),
                   "links": links.bookmark(base_url, "flavors", str(server.flavor.get("id")))},
        "created": links.isotime(server.created_at),
        "updated": links.isotime(server.updated_at or server.created_at),
        "addresses": {name: [dict(a) for a in held]
                      for name, held in server.addresses.items()},
        "accessIPv4": server.access_ip_v4 or "",
        "accessIPv6": server.access_ip_v6 or "",
        "key_name": server.key_name,
        "config_drive": server.config_drive,
        "progress": server.progress,
        "security_groups": [{"name": "default"}],
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": server.availability_zone or "",
        "OS-EXT-STS:vm_state": server.vm_state,
        "OS-EXT-STS:task_state": server.task_state,
        "OS-EXT-STS:power_state": server.power_state,
        "OS-SRV-USG:launched_at": _usage_time(server.launched_at),
        "OS-SRV-USG:terminated_at": None,
        "os-extended-volumes:volumes_attached": [],
    }
    if show_host:
        view["OS-EXT-SRV-ATTR:host"] = server.host
        view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = server.node
        view["OS-EXT-SRV-ATTR:instance_name"] = f"instance-{server.uuid}"
        if version >= (2, 3):
            view.update({
                # Servers created before multiple create kept no reservation id.
                "OS-EXT-SRV-ATTR:reservation_id": server.spec.get(
                    "reservation_id", "r-" + server.uuid.replace("-", "")[:8]),
                "OS-EXT-SRV-ATTR:launch_index": server.spec.get("launch_index", 0),
                "OS-EXT-SRV-ATTR:hostname": _guest_hostname(server),
                "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:root_device_name": None,
                "OS-EXT-SRV-ATTR:user_data": None})
    if version >= (2, 9):
        view["locked"] = server.locked
    if version >= (2, 16) and server.host_status is not None:
        view["host_status"] = server.host_status
    if version >= (2, 19):
        view["description"] = server.description
    if version >= (2, 26):
        view["tags"] = list(server.tags)
    if version >= (2, 47):
        view["flavor"] = _embedded_flavor(server.flavor, show_extra_specs)
    if version >= (2, 63):
        view["trusted_image_certificates"] = server.spec.get("trusted_image_certificates")
    if version >= (2, 71) and server_groups is not None:
        view["server_groups"] = list(server_groups)
    if version >= (2, 73):
        view["locked_reason"] = server.locked_reason
    view.update(_from_2_90(server, version, base_url))
    if server.fault is not None:
        view["fault"] = {"code": server.fault.code, "message": server.fault.message,
                         "created": links.isotime(server.fault.created_at)}
    return view


def _unknown_detail(server: UnknownServer, base_url: str, version: tuple[int, int],
                    show_extra_specs: bool, server_groups: list[str] | None
                    ) -> dict[str, Any]:
    """A server of a down cell in a detailed list, or shown alone (2.69).

    A list adds what the instance mapping knows; a show, which also read the request
    spec (``flavor`` is set), adds the flavor, image, zone, power state and user.
    """
    view = {**unknown(server, base_url), "tenant_id": server.project_id,
            "created": links.isotime(server.created_at) if server.created_at else None}
    if server.flavor is None:
        return view
    flavor = server.flavor
    view.update({
        "image": _image(server, base_url),
        "flavor": (_embedded_flavor(flavor, show_extra_specs) if version >= (2, 47) else
                   {"id": flavor.get("id"),
                    "links": links.bookmark(base_url, "flavors", str(flavor.get("id")))}),
        # Not asked for at boot, or not known: Nova says UNKNOWN rather than guess.
        "OS-EXT-AZ:availability_zone": server.availability_zone or "UNKNOWN",
        "OS-EXT-STS:power_state": states.NOSTATE,
        "user_id": server.user_id or "UNKNOWN"})
    if version >= (2, 71) and server_groups is not None:
        view["server_groups"] = list(server_groups)
    return view


def _embedded_flavor(flavor: dict[str, Any], show_extra_specs: bool) -> dict[str, Any]:
    embedded = {"original_name": flavor.get("name"), "vcpus": flavor.get("vcpus"),
                "ram": flavor.get("ram"), "disk": flavor.get("disk"),
                "ephemeral": flavor.get("ephemeral", 0), "swap": flavor.get("swap", 0)}
    if show_extra_specs:
        embedded["extra_specs"] = dict(flavor.get("extra_specs") or {})
    return embedded


def _from_2_90(server: Server, version: tuple[int, int], base_url: str) -> dict[str, Any]:
    """From 2.90 everyone sees the guest's hostname; from 2.96 the zone the server is
    pinned to (the one asked for at create); from 2.98 its boot image's properties;
    from 2.100 the scheduler hints given at create. All come from the request spec
    (a hostname never given is made of the name)."""
    added: dict[str, Any] = {}
    if version >= (2, 90):
        added["OS-EXT-SRV-ATTR:hostname"] = _guest_hostname(server)
    if version >= (2, 96):
        added["pinned_availability_zone"] = server.spec.get("availability_zone")
    if version >= (2, 98) and server.image_ref:
        image = server.spec.get("image") or {}
        properties = image.get("properties") if image.get("id") == server.image_ref \
            else None
        added["image"] = {"id": server.image_ref,
                          "links": links.bookmark(base_url, "images", server.image_ref),
                          "properties": dict(properties or {})}
    if version >= (2, 100):
        # Nova shows every hint's values as a list, whichever way it was given.
        added["scheduler_hints"] = {
            hint: value if isinstance(value, list) else [value]
            for hint, value in (server.spec.get("scheduler_hints") or {}).items()}
    return added


def _guest_hostname(server: Server) -> str:
    """The hostname asked for (2.90, kept in the spec and the row alike), else the one
    the row got when placed (made of the name then: a rename keeps it, as in Nova),
    else, for a build request or a row older than that column, one made of the name."""
    return server.spec.get("hostname") or server.hostname or hostnames.from_name(server.name)


def _image(server: Server | UnknownServer, base_url: str) -> dict[str, Any] | str:
    # A server booted from a volume shows its image as an empty string, as Nova does.
    if not server.image_ref:
        return ""
    return {"id": server.image_ref,
            "links": links.bookmark(base_url, "images", server.image_ref)}


def _usage_time(moment: datetime.datetime | None) -> str | None:
    # The usage extension writes times without the zone suffix.
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def ips(addresses: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Addresses as the server IPs API (``/servers/{id}/ips``) shows them: version and
    address only."""
    return {name: [{"version": a["version"], "addr": a["addr"]} for a in held]
            for name, held in addresses.items()}
