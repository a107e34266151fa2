"""GET /openapi.json: the OpenAPI description of what this API serves."""

from __future__ import annotations

import flask

from api_cell.api import request


def show() -> dict:
    """GET /openapi.json (public): every operation at the newest microversion."""
    document = flask.current_app.extensions[request.EXTENSION]["openapi"]
    return document(server_url=request.base_url())
