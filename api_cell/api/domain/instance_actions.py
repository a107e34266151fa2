"""Instance actions and events, read from the server's cell (deleted servers included)."""

from __future__ import annotations

import datetime

from api_cell.api import errors
from api_cell.api.domain import servers
from api_cell.api.domain.backends import Backends
from db import errors as db_errors
from db.api.instances import Mapping
from db.cell import actions as cell_actions
from db.cell.actions import Action


def list_for(backends: Backends, mapping: Mapping, limit: int | None = None,
             marker: str | None = None,
             changes_since: datetime.datetime | None = None,
             changes_before: datetime.datetime | None = None) -> list[Action]:
    """A server's actions, newest first; a server still building has none yet."""
    if mapping.cell_id is None:
        return []
    cell = servers.cell_of(backends, mapping)
    found = backends.in_cell(cell, cell_actions.list_for, mapping.instance_uuid)
    if changes_since is not None:
        found = [a for a in found if a.updated_at >= changes_since]
    if changes_before is not None:
        found = [a for a in found if a.updated_at <= changes_before]
    if marker is not None:
        position = next((i for i, a in enumerate(found) if a.request_id == marker), None)
        if position is None:
            raise errors.BadRequest(f"Marker {marker} could not be found.")
        found = found[position + 1:]
    if limit is not None:
        found = found[:min(limit, backends.max_limit)]
    return found


def get(backends: Backends, mapping: Mapping, request_id: str) -> Action:
    if mapping.cell_id is not None:
        cell = servers.cell_of(backends, mapping)
        try:
            return backends.in_cell(cell, cell_actions.get, mapping.instance_uuid, request_id)
        except db_errors.NotFound:
            pass
    raise errors.NotFound(f"Action {request_id} not found")
