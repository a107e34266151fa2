"""/v2.1/servers/{server_id}/ips: the addresses of a server, by network."""

from __future__ import annotations

from api_cell.api import errors, policies, request
from api_cell.api.domain import networks, servers
from api_cell.api.views import servers as view


def _addresses(server_id: str) -> dict:
    """The server's addresses by network name, once the caller may see the server.

    Addresses live in the API DB, so no cell is asked (a down cell does not hide them).
    """
    backends = request.backends()
    mapping = servers.find(backends, request.context(), server_id)
    # Nova's own ips rules default to who may show the server; Cellar uses that rule.
    request.authorize(policies.SERVERS_SHOW, {"project_id": mapping.project_id})
    return networks.addresses_of(backends.api_url, backends.network,
                                 [mapping.instance_uuid]).get(mapping.instance_uuid, {})


def index(server_id: str) -> dict:
    """GET /servers/{server_id}/ips"""
    return {"addresses": view.ips(_addresses(server_id))}


def show(server_id: str, network_label: str) -> dict:
    """GET /servers/{server_id}/ips/{network_label}: 404 if the server has no address
    on that network."""
    addresses = view.ips(_addresses(server_id))
    if network_label not in addresses:
        raise errors.NotFound(f"Instance {server_id} is not a member of network "
                              f"{network_label}.")
    return {network_label: addresses[network_label]}
