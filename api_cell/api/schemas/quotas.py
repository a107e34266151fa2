"""Body of PUT /os-quota-sets/{project_id}: the resources a quota set has at a
microversion."""

from __future__ import annotations

from typing import Any

from api_cell import quota
from api_cell.api.schemas import types


def resources(version: tuple[int, int]) -> list[str]:
    """The resources a quota set shows and takes at ``version``: network ones go at
    2.36, injected-file ones at 2.57."""
    hidden: set[str] = set()
    if version >= (2, 36):
        hidden |= set(quota.NETWORK_DEFAULTS)
    if version >= (2, 57):
        hidden |= set(quota.INJECTED_DEFAULTS)
    return [name for name in quota.ALL_DEFAULTS if name not in hidden]


def update(version: tuple[int, int]) -> dict[str, Any]:
    """The update body: a limit (-1 for unlimited) per resource, and ``force``."""
    limits = {name: types.integer(-1) for name in resources(version)}
    return types.envelope("quota_set", {
        "type": "object",
        "properties": {**limits, "force": {"type": ["boolean", "string"]}},
        "additionalProperties": False})
