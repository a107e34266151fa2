"""The whole compute API at a glance: every path, method and handler."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import flask

from api_cell.api.handlers import flavors, images, server_actions, servers, versions


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

ROUTES: list[Route] = [
    Route("GET", "/", versions.index, public=True),
    Route("GET", V, versions.show, public=True),

    Route("GET", f"{V}/flavors", flavors.index),
    Route("POST", f"{V}/flavors", flavors.create),
    Route("GET", f"{V}/flavors/detail", flavors.detail),
    Route("GET", f"{V}/flavors/<flavor_id>", flavors.show),
    Route("DELETE", f"{V}/flavors/<flavor_id>", flavors.delete),

    Route("GET", f"{V}/images", images.index),
    Route("POST", f"{V}/images", images.create),
    Route("GET", f"{V}/images/detail", images.detail),
    Route("GET", f"{V}/images/<image_id>", images.show),
    Route("DELETE", f"{V}/images/<image_id>", images.delete),

    Route("GET", f"{V}/servers", servers.index),
    Route("POST", f"{V}/servers", servers.create),
    Route("GET", f"{V}/servers/detail", servers.detail),
    Route("GET", f"{V}/servers/<server_id>", servers.show),
    Route("DELETE", f"{V}/servers/<server_id>", servers.delete),
    Route("POST", f"{V}/servers/<server_id>/action", server_actions.action),
]

PUBLIC_ENDPOINTS = frozenset(route.endpoint for route in ROUTES if route.public)


def register(app: flask.Flask) -> None:
    """Add every route to ``app``; a trailing slash is accepted everywhere."""
    for route in ROUTES:
        app.add_url_rule(route.path, endpoint=route.endpoint, view_func=route.handler,
                         methods=[route.method], strict_slashes=False)
