"""The whole compute API at a glance: every path, method and handler."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import flask

from api_cell.api import errors, request
from api_cell.api.handlers import (
    aggregates,
    flavors,
    hosts,
    identity,
    images,
    instance_actions,
    keypairs,
    migrations,
    openapi,
    quotas,
    server_actions,
    server_groups,
    server_ips,
    server_metadata,
    servers,
    versions,
)


@dataclasses.dataclass(frozen=True)
class Route:
    """One path and method, the handler that serves it, and whether it needs a token."""

    method: str
    path: str
    handler: Callable
    public: bool = False

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


V = "/v2.1"

# The image proxy is gone from 2.36 on, as in Nova: clients use the image service.
until = request.until


def since(first: str, handler: Callable) -> Callable:
    """``handler`` from microversion ``first`` on; 404 before it (an API Nova added
    later, such as a server's topology at 2.78)."""
    @functools.wraps(handler)
    def gated(*args, **kwargs):
        if not request.at_least(first):
            raise errors.NotFound("The resource could not be found.")
        return handler(*args, **kwargs)

    # The OpenAPI document describes a route only at the versions that serve it.
    gated.served_since = first
    return gated


ROUTES: list[Route] = [
    Route("GET", "/", versions.index, public=True),
    Route("GET", V, versions.show, public=True),
    # The OpenAPI description of every route here (api_cell/api/openapi.py).
    Route("GET", "/openapi.json", openapi.show, public=True),
    # The noauth2 identity stub (handlers/identity.py), for the OpenStack clients.
    Route("GET", "/identity/v3", identity.version, public=True),
    # Logging in needs no token; validating one does, as in Keystone.
    Route("POST", "/identity/v3/auth/tokens", identity.token_create, public=True),
    Route("GET", "/identity/v3/auth/tokens", identity.token_show),
    Route("GET", "/identity/v3/projects", identity.project_index),
    Route("GET", "/identity/v3/projects/<project_id>", identity.project_show),

    Route("GET", f"{V}/flavors", flavors.index),
    Route("POST", f"{V}/flavors", flavors.create),
    Route("GET", f"{V}/flavors/detail", flavors.detail),
    Route("GET", f"{V}/flavors/<flavor_id>", flavors.show),
    Route("PUT", f"{V}/flavors/<flavor_id>", flavors.update),
    Route("DELETE", f"{V}/flavors/<flavor_id>", flavors.delete),
    Route("GET", f"{V}/flavors/<flavor_id>/os-flavor-access", flavors.access_index),
    Route("POST", f"{V}/flavors/<flavor_id>/action", flavors.action),
    Route("GET", f"{V}/flavors/<flavor_id>/os-extra_specs", flavors.extra_specs_index),
    Route("POST", f"{V}/flavors/<flavor_id>/os-extra_specs", flavors.extra_specs_create),
    Route("GET", f"{V}/flavors/<flavor_id>/os-extra_specs/<key>", flavors.extra_spec_show),
    Route("PUT", f"{V}/flavors/<flavor_id>/os-extra_specs/<key>",
          flavors.extra_spec_update),
    Route("DELETE", f"{V}/flavors/<flavor_id>/os-extra_specs/<key>",
          flavors.extra_spec_delete),

    Route("GET", f"{V}/images", until("2.35", images.index)),
    Route("POST", f"{V}/images", until("2.35", images.create)),
    Route("GET", f"{V}/images/detail", until("2.35", images.detail)),
    Route("GET", f"{V}/images/<image_id>", until("2.35", images.show)),
    Route("DELETE", f"{V}/images/<image_id>", until("2.35", images.delete)),

    Route("GET", f"{V}/servers", servers.index),
    Route("POST", f"{V}/servers", servers.create),
    Route("GET", f"{V}/servers/detail", servers.detail),
    Route("GET", f"{V}/servers/<server_id>", servers.show),
    Route("PUT", f"{V}/servers/<server_id>", servers.update),
    Route("DELETE", f"{V}/servers/<server_id>", servers.delete),
    Route("GET", f"{V}/servers/<server_id>/topology", since("2.78", servers.topology)),
    Route("GET", f"{V}/servers/<server_id>/ips", server_ips.index),
    Route("GET", f"{V}/servers/<server_id>/ips/<network_label>", server_ips.show),
    Route("POST", f"{V}/servers/<server_id>/action", server_actions.action),

    Route("GET", f"{V}/servers/<server_id>/metadata", server_metadata.index),
    Route("POST", f"{V}/servers/<server_id>/metadata", server_metadata.create),
    Route("PUT", f"{V}/servers/<server_id>/metadata", server_metadata.update_all),
    Route("GET", f"{V}/servers/<server_id>/metadata/<key>", server_metadata.show),
    Route("PUT", f"{V}/servers/<server_id>/metadata/<key>", server_metadata.update),
    Route("DELETE", f"{V}/servers/<server_id>/metadata/<key>", server_metadata.delete),
    Route("GET", f"{V}/servers/<server_id>/tags", server_metadata.tags_index),
    Route("PUT", f"{V}/servers/<server_id>/tags", server_metadata.tags_update_all),
    Route("DELETE", f"{V}/servers/<server_id>/tags", server_metadata.tags_delete_all),
    Route("GET", f"{V}/servers/<server_id>/tags/<tag>", server_metadata.tag_show),
    Route("PUT", f"{V}/servers/<server_id>/tags/<tag>", server_metadata.tag_update),
    Route("DELETE", f"{V}/servers/<server_id>/tags/<tag>", server_metadata.tag_delete),
    Route("GET", f"{V}/servers/<server_id>/os-instance-actions", instance_actions.index),
    Route("GET", f"{V}/servers/<server_id>/os-instance-actions/<request_id>",
          instance_actions.show),

    Route("GET", f"{V}/os-keypairs", keypairs.index),
    Route("POST", f"{V}/os-keypairs", keypairs.create),
    Route("GET", f"{V}/os-keypairs/<name>", keypairs.show),
    Route("DELETE", f"{V}/os-keypairs/<name>", keypairs.delete),

    Route("GET", f"{V}/os-server-groups", server_groups.index),
    Route("POST", f"{V}/os-server-groups", server_groups.create),
    Route("GET", f"{V}/os-server-groups/<group_id>", server_groups.show),
    Route("DELETE", f"{V}/os-server-groups/<group_id>", server_groups.delete),

    Route("GET", f"{V}/os-services", hosts.services_index),
    Route("PUT", f"{V}/os-services/<action>", hosts.services_update),
    Route("DELETE", f"{V}/os-services/<service_id>", hosts.services_delete),
    Route("GET", f"{V}/os-hypervisors", hosts.hypervisors_index),
    Route("GET", f"{V}/os-hypervisors/detail", hosts.hypervisors_detail),
    Route("GET", f"{V}/os-hypervisors/<hypervisor_id>", hosts.hypervisors_show),
    # Replaced by query parameters of the lists at 2.53.
    Route("GET", f"{V}/os-hypervisors/<pattern>/servers",
          until("2.52", hosts.hypervisors_servers)),
    Route("GET", f"{V}/os-hypervisors/<pattern>/search",
          until("2.52", hosts.hypervisors_search)),
    Route("GET", f"{V}/os-migrations", migrations.index),
    Route("GET", f"{V}/os-availability-zone", hosts.zones_index),
    Route("GET", f"{V}/os-aggregates", aggregates.index),
    Route("POST", f"{V}/os-aggregates", aggregates.create),
    Route("GET", f"{V}/os-aggregates/<aggregate_id>", aggregates.show),
    Route("PUT", f"{V}/os-aggregates/<aggregate_id>", aggregates.update),
    Route("DELETE", f"{V}/os-aggregates/<aggregate_id>", aggregates.delete),
    Route("POST", f"{V}/os-aggregates/<aggregate_id>/action", aggregates.action),
    Route("POST", f"{V}/os-aggregates/<aggregate_id>/images",
          since("2.81", aggregates.images)),
    Route("GET", f"{V}/os-availability-zone/detail", hosts.zones_detail),

    Route("GET", f"{V}/limits", quotas.limits),
    Route("GET", f"{V}/os-quota-sets/<project_id>", quotas.show),
    Route("PUT", f"{V}/os-quota-sets/<project_id>", quotas.update),
    Route("DELETE", f"{V}/os-quota-sets/<project_id>", quotas.delete),
    Route("GET", f"{V}/os-quota-sets/<project_id>/detail", quotas.detail),
    Route("GET", f"{V}/os-quota-sets/<project_id>/defaults", quotas.defaults),
]

PUBLIC_ENDPOINTS = frozenset(route.endpoint for route in ROUTES if route.public)


def collections() -> set[str]:
    """The first path segments after ``/v2.1`` that the API serves."""
    return {route.path[len(V) + 1:].split("/", 1)[0] for route in ROUTES
            if route.path.startswith(f"{V}/")}


def register(app: flask.Flask) -> None:
    """Add every route to ``app``; a trailing slash is accepted everywhere."""
    for route in ROUTES:
        app.add_url_rule(route.path, endpoint=route.endpoint, view_func=route.handler,
                         methods=[route.method], strict_slashes=False)
