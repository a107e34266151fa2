"""PUT /servers/{id}: renaming a server, changing its description, hostname and
access addresses."""

from __future__ import annotations

from typing import Any

from api_cell.api import errors
from api_cell.api.domain import servers
from api_cell.api.domain.backends import Backends
from api_cell.api.domain.records import UNCHANGED
from db import errors as db_errors
from db.api import instances as api_instances
from db.api.instances import Mapping
from db.cell import instances as cell_instances

# The request spec's keys an update changes, and the instance columns that keep the
# same values (lists filter and sort by them).
_COLUMNS = {"description": "display_description", "hostname": "hostname",
            "access_ip_v4": "access_ip_v4", "access_ip_v6": "access_ip_v6"}


def update(backends: Backends, mapping: Mapping, name: str | object = UNCHANGED,
           description: str | None | object = UNCHANGED,
           hostname: str | object = UNCHANGED,
           access_ip_v4: str | None | object = UNCHANGED,
           access_ip_v6: str | None | object = UNCHANGED) -> None:
    """Rename the server (in its build request or its cell) and/or change its
    description, hostname and access addresses (None clears one): in the request
    spec, where create put them, and in the cell's row once the server is placed."""
    if name is not UNCHANGED:
        mapping = _rename(backends, mapping, name)
    changes = {key: value for key, value in (
        ("description", description), ("hostname", hostname),
        ("access_ip_v4", access_ip_v4), ("access_ip_v6", access_ip_v6))
        if value is not UNCHANGED}
    if not changes:
        return
    api_instances.update_spec(backends.api_url, mapping.instance_uuid, **changes)
    if mapping.cell_id is None:
        # A build request: the superconductor copies the spec into the row it writes,
        # unless it placed the server since the mapping was read.
        mapping = servers.refreshed(backends, mapping)
        if mapping.cell_id is None:
            return
    _write(backends, mapping, **{_COLUMNS[key]: value for key, value in changes.items()})


def _rename(backends: Backends, mapping: Mapping, name: str) -> Mapping:
    """Rename the server; its mapping as it was found (re-read if just placed)."""
    if mapping.cell_id is None:
        if api_instances.update_build(backends.api_url, mapping.instance_uuid, name=name):
            return mapping
        # Placed between the read of the mapping and now: rename it in its cell.
        mapping = servers.refreshed(backends, mapping)
        if mapping.cell_id is None:
            raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")
    _write(backends, mapping, display_name=name)
    return mapping


def _write(backends: Backends, mapping: Mapping, **values: Any) -> None:
    cell = servers.cell_of(backends, mapping)
    try:
        backends.write_in_cell(cell, cell_instances.update, mapping.instance_uuid,
                               **values)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.") \
            from error
