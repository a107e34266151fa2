"""Links to resources, absolute and versioned (self) or unversioned (bookmark)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

API_PREFIX = "v2.1"


def resource(base_url: str, collection: str, resource_id: str) -> list[dict[str, str]]:
    """The self and bookmark links of one resource."""
    base = base_url.rstrip("/")
    return [{"rel": "self", "href": f"{base}/{API_PREFIX}/{collection}/{resource_id}"},
            {"rel": "bookmark", "href": f"{base}/{collection}/{resource_id}"}]


def bookmark(base_url: str, collection: str, resource_id: str) -> list[dict[str, str]]:
    """Only the bookmark link, the form nested references (a server's flavor) use."""
    return [resource(base_url, collection, resource_id)[1]]


def self_href(base_url: str, collection: str, resource_id: str) -> str:
    """The versioned URL of one resource (a Location header)."""
    return resource(base_url, collection, resource_id)[0]["href"]


def next_page(base_url: str, path: str, params: dict[str, str], marker: str
              ) -> list[dict[str, str]]:
    """The link to the page after ``marker``, keeping the other query parameters."""
    query = urlencode({**{k: v for k, v in params.items() if k != "marker"},
                       "marker": marker})
    return [{"rel": "next", "href": f"{base_url.rstrip('/')}/{API_PREFIX}/{path}?{query}"}]


def isotime(moment: datetime.datetime | None) -> str | None:
    """A naive UTC timestamp as the API writes it: 2024-01-31T12:00:00Z."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
