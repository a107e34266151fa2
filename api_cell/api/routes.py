"""The whole compute API at a glance: every path, method and handler."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import flask

from api_cell.api import request
from api_cell.api.handlers import (
    flavors,
    hosts,
    images,
    instance_actions,
    keypairs,
    quotas,
    server_actions,
    server_groups,
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

ROUTES: list[Route] = [
    Route("GET", "/", versions.index, public=True),
    Route("GET", V, versions.show, public=True),

    Route("GET", f"{V}/flavors", flavors.index),
    Route("POST", f"{V}/flavors", flavors.create),
    Route("GET", f"{V}/flavors/detail", flavors.detail),
    Route("GET", f"{V}/flavors/<flavor_id>", flavors.show),
    Route("DELETE", f"{V}/flavors/<flavor_id>", flavors.delete),

    Route("GET", f"{V}/images", until("2.35", images.index)),
    Route("POST", f"{V}/images", until("2.35", images.create)),
    Route("GET", f"{V}/images/detail", until("2.35", images.detail)),
    Route("GET", f"{V}/images/<image_id>", until("2.35", images.show)),
    Route("DELETE", f"{V}/images/<image_id>", until("2.35", images.delete)),

    Route("GET", f"{V}/servers", servers.index),
    Route("POST", f"{V}/servers", servers.create),
    Route("GET", f"{V}/servers/detail", servers.detail),
    Route("GET", f"{V}/servers/<server_id>", servers.show),
    Route("DELETE", f"{V}/servers/<server_id>", servers.delete),
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
    Route("GET", f"{V}/os-hypervisors/<pattern>/servers", hosts.hypervisors_servers),
    Route("GET", f"{V}/os-hypervisors/<pattern>/search", hosts.hypervisors_search),
    Route("GET", f"{V}/os-availability-zone", hosts.zones_index),
    Route("GET", f"{V}/os-availability-zone/detail", hosts.zones_detail),

    Route("GET", f"{V}/limits", quotas.limits),
    Route("GET", f"{V}/os-quota-sets/<project_id>", quotas.show),
    Route("PUT", f"{V}/os-quota-sets/<project_id>", quotas.update),
    Route("DELETE", f"{V}/os-quota-sets/<project_id>", quotas.delete),
    Route("GET", f"{V}/os-quota-sets/<project_id>/detail", quotas.detail),
    Route("GET", f"{V}/os-quota-sets/<project_id>/defaults", quotas.defaults),
]

PUBLIC_ENDPOINTS = frozenset(route.endpoint for route in ROUTES if route.public)


def register(app: flask.Flask) -> None:
    """Add every route to ``app``; a trailing slash is accepted everywhere."""
    for route in ROUTES:
        app.add_url_rule(route.path, endpoint=route.endpoint, view_func=route.handler,
                         methods=[route.method], strict_slashes=False)
