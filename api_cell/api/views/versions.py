"""The version documents at / and /v2.1."""

from __future__ import annotations

from typing import Any

from api_cell.api import microversions
from api_cell.api.views import links

# When the v2.1 API was released; a constant of the API, not of this service.
UPDATED = "2013-07-23T11:33:21Z"


def _summary(base_url: str) -> dict[str, Any]:
    return {"id": "v2.1", "status": "CURRENT",
            "version": str(microversions.MAX_VERSION),
            "min_version": str(microversions.MIN_VERSION), "updated": UPDATED,
            "links": [{"rel": "self", "href": f"{base_url.rstrip('/')}/{links.API_PREFIX}/"}]}


def index(base_url: str) -> dict[str, Any]:
    """GET /: every major version served (only v2.1: the v2.0 API is not offered)."""
    return {"versions": [_summary(base_url)]}


def show(base_url: str) -> dict[str, Any]:
    """GET /v2.1: the version this API serves and its microversion range."""
    document = _summary(base_url)
    document["links"].append({"rel": "describedby", "type": "text/html",
                              "href": "https://docs.openstack.org/"})
    document["media-types"] = [{"base": "application/json",
                                "type": "application/vnd.openstack.compute+json;version=2.1"}]
    return {"version": document}
