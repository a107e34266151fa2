"""The flavor views of the compute API."""

from __future__ import annotations

from typing import Any

from api_cell.api.views import links
from db.api.flavors import FlavorRecord


def summary(flavor: FlavorRecord, base_url: str,
            version: tuple[int, int] = (2, 1)) -> dict[str, Any]:
    """The entry of GET /flavors (``description`` from 2.55)."""
    view = {"id": flavor.flavorid, "name": flavor.name,
            "links": links.resource(base_url, "flavors", flavor.flavorid)}
    if version >= (2, 55):
        view["description"] = flavor.description
    return view


def detail(flavor: FlavorRecord, base_url: str, version: tuple[int, int] = (2, 1),
           show_extra_specs: bool = False) -> dict[str, Any]:
    """The entry of GET /flavors/detail, GET /flavors/{id} and of create/update replies.

    ``extra_specs`` from 2.61 for those the extra-specs index policy lets see them;
    ``swap`` is 0 rather than "" for no swap from 2.75.
    """
    view = {
        **summary(flavor, base_url, version),
        "ram": flavor.memory_mb,
        "vcpus": flavor.vcpus,
        "disk": flavor.root_gb,
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        # Nova wrote no swap as an empty string until 2.75, a quirk old clients rely on.
        "swap": flavor.swap if version >= (2, 75) else flavor.swap or "",
        "rxtx_factor": flavor.rxtx_factor,
        "OS-FLV-DISABLED:disabled": flavor.disabled,
        "os-flavor-access:is_public": flavor.is_public,
    }
    if version >= (2, 61) and show_extra_specs:
        view["extra_specs"] = dict(flavor.extra_specs)
    return view
