"""Actions that change a server through its cell: start, stop, reboot, delete.

The API checks the state and claims the server with a compare-and-swap on
``task_state`` in the cell DB, so of two racing actions exactly one wins and the
other gets 409; then it records the instance action and adds the task the cell's
conductor carries out (see doc/contracts.rst).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain import servers
from api_cell.api.domain.backends import Backends, enqueue
from common import states
from db import errors as db_errors
from db.api import instances as api_instances
from db.api.cells import Cell
from db.api.instances import Mapping
from db.cell import instances as cell_instances


@dataclasses.dataclass(frozen=True)
class Action:
    """One state-changing action: where it may start and what it claims the server with."""

    name: str
    allowed_vm_states: tuple[str, ...]
    task_state: str


STOP = Action("stop", (states.ACTIVE, states.ERROR), states.POWERING_OFF)
START = Action("start", (states.STOPPED,), states.POWERING_ON)
SOFT_REBOOT = Action("reboot", (states.ACTIVE, states.STOPPED, states.ERROR), states.REBOOTING)
HARD_REBOOT = Action("reboot", (states.ACTIVE, states.STOPPED, states.ERROR),
                     states.REBOOTING_HARD)

# How many times delete re-reads a server whose task_state moved under it.
_DELETE_ATTEMPTS = 5


def _refused(action: str, instance_uuid: str, vm_state: str, task_state: str | None
             ) -> errors.Conflict:
    attribute, value = (("task_state", task_state) if task_state is not None
                        else ("vm_state", vm_state))
    return errors.Conflict(f"Cannot '{action}' instance {instance_uuid} while it is in "
                           f"{attribute} {value}")


def _placed_cell(backends: Backends, mapping: Mapping, action: str) -> Cell:
    """The cell of a server that reached a host; Conflict while it is still scheduled."""
    if mapping.cell_id is None:
        mapping = servers.refreshed(backends, mapping)
    if mapping.cell_id is None:
        raise _refused(action, mapping.instance_uuid, states.BUILDING, None)
    cell = servers.cell_of(backends, mapping)
    if cell.is_cell0:
        # Cell0 holds servers that never reached a host: nothing could carry this out.
        raise _refused(action, mapping.instance_uuid, states.ERROR, None)
    return cell


def run(backends: Backends, context: RequestContext, mapping: Mapping, action: Action,
        extra: dict[str, Any] | None = None) -> None:
    """Claim the server for ``action`` and queue the task; Conflict in the wrong state."""
    uuid = mapping.instance_uuid
    cell = _placed_cell(backends, mapping, action.name)
    try:
        backends.write_in_cell(cell, cell_instances.update, uuid, expected_task_state=None,
                               expected_vm_states=action.allowed_vm_states,
                               task_state=action.task_state)
    except db_errors.Conflict:
        current = backends.in_cell(cell, cell_instances.get, uuid)
        raise _refused(action.name, uuid, current.vm_state, current.task_state) from None
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {uuid} could not be found.") from error
    backends.write_in_cell(cell, cell_instances.start_action, uuid, action.name,
                           context.request_id, context.user_id, context.project_id)
    try:
        enqueue(backends.cell_stream(cell), action.name,
                {"instance_uuid": uuid, **(extra or {})}, context.request_id)
    except errors.ServiceUnavailable:
        # Give the claim back, or the server would stay in this task_state for ever.
        backends.write_in_cell(cell, cell_instances.update, uuid,
                               expected_task_state=action.task_state, task_state=None)
        raise


def delete(backends: Backends, context: RequestContext, mapping: Mapping) -> None:
    """Delete a server: cancel it while it is a build request, else have its cell do it."""
    if mapping.cell_id is None:
        if api_instances.cancel_build(backends.api_url, mapping.instance_uuid):
            return
        # No build request left: a superconductor placed it a moment ago.
        mapping = servers.refreshed(backends, mapping)
    cell = servers.cell_of(backends, mapping)
    _claim_for_delete(backends, cell, mapping.instance_uuid)
    backends.write_in_cell(cell, cell_instances.start_action, mapping.instance_uuid,
                           "delete", context.request_id, context.user_id,
                           context.project_id)
    if cell.is_cell0:
        # No conductor serves cell0 and nothing of the server exists on a host.
        backends.write_in_cell(cell, cell_instances.soft_delete, mapping.instance_uuid)
        api_instances.mark_queued_for_delete(backends.api_url, mapping.instance_uuid)
        return
    api_instances.mark_queued_for_delete(backends.api_url, mapping.instance_uuid)
    enqueue(backends.cell_stream(cell), "delete", {"instance_uuid": mapping.instance_uuid},
            context.request_id)


def _claim_for_delete(backends: Backends, cell: Cell, uuid: str) -> None:
    """Set task_state=deleting from whatever it is now (a repeated delete is fine)."""
    for _attempt in range(_DELETE_ATTEMPTS):
        try:
            current = backends.in_cell(cell, cell_instances.get, uuid)
        except db_errors.NotFound as error:
            raise errors.NotFound(f"Instance {uuid} could not be found.") from error
        if current.task_state == states.DELETING:
            return
        try:
            backends.write_in_cell(cell, cell_instances.update, uuid,
                                   expected_task_state=current.task_state,
                                   task_state=states.DELETING)
            return
        except db_errors.Conflict:
            continue
        except db_errors.NotFound as error:
            raise errors.NotFound(f"Instance {uuid} could not be found.") from error
    raise _refused("delete", uuid, current.vm_state, current.task_state)
