"""The version document."""

from __future__ import annotations

import flask

from placement import microversion, util
from placement.context import RequestContext


def versions(ctx: RequestContext) -> flask.Response:
    """GET /: the one API version and its microversion range (no auth needed)."""
    return util.json_response({"versions": [{
        "id": "v1.0", "status": "CURRENT",
        "min_version": str(microversion.MIN_VERSION),
        "max_version": str(microversion.MAX_VERSION),
        "links": [{"rel": "self", "href": ""}],
    }]})
