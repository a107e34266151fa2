"""The flavor views of the compute API (as of microversion 2.1)."""

from __future__ import annotations

from typing import Any

from api_cell.api.views import links
from db.api.flavors import FlavorRecord


def summary(flavor: FlavorRecord, base_url: str) -> dict[str, Any]:
    """The entry of GET /flavors."""
    return {"id": flavor.flavorid, "name": flavor.name,
            "links": links.resource(base_url, "flavors", flavor.flavorid)}


def detail(flavor: FlavorRecord, base_url: str) -> dict[str, Any]:
    """The entry of GET /flavors/detail and GET /flavors/{id}."""
    return {
        **summary(flavor, base_url),
        "ram": flavor.memory_mb,
        "vcpus": flavor.vcpus,
        "disk": flavor.root_gb,
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        # Nova writes no swap as an empty string, a quirk clients rely on.
        "swap": flavor.swap or "",
        "rxtx_factor": flavor.rxtx_factor,
        "OS-FLV-DISABLED:disabled": flavor.disabled,
        "os-flavor-access:is_public": flavor.is_public,
    }
