"""PUT /servers/{id}: renaming a server and changing its description."""

from __future__ import annotations

from api_cell.api import errors
from api_cell.api.domain import servers
from api_cell.api.domain.backends import Backends
from api_cell.api.domain.records import UNCHANGED
from db import errors as db_errors
from db.api import instances as api_instances
from db.api.instances import Mapping
from db.cell import instances as cell_instances


def update(backends: Backends, mapping: Mapping, name: str | object = UNCHANGED,
           description: str | None | object = UNCHANGED,
           hostname: str | object = UNCHANGED) -> None:
    """Rename the server (in its build request or its cell) and/or change its
    description and hostname (kept in the request spec, where create put them)."""
    if name is not UNCHANGED:
        _rename(backends, mapping, name)
    changes = {key: value for key, value in (("description", description),
                                             ("hostname", hostname))
               if value is not UNCHANGED}
    if changes:
        api_instances.update_spec(backends.api_url, mapping.instance_uuid, **changes)


def _rename(backends: Backends, mapping: Mapping, name: str) -> None:
    if mapping.cell_id is None:
        if api_instances.update_build(backends.api_url, mapping.instance_uuid, name=name):
            return
        # Placed between the read of the mapping and now: rename it in its cell.
        mapping = servers.refreshed(backends, mapping)
        if mapping.cell_id is None:
            raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")
    cell = servers.cell_of(backends, mapping)
    try:
        backends.write_in_cell(cell, cell_instances.update, mapping.instance_uuid,
                               display_name=name)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.") \
            from error
