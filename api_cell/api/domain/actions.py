"""Actions that change a server through its cell: start, stop, reboot, pause,
unpause, suspend, resume, rebuild, delete; and lock, unlock, reset-state.

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
from db.cell.models import Instance


@dataclasses.dataclass(frozen=True)
class Action:
    """One state-changing action: where it may start and what it claims the server with."""

    name: str
    allowed_vm_states: tuple[str, ...]
    task_state: str


STOP = Action("stop", (states.ACTIVE, states.ERROR), states.POWERING_OFF)
START = Action("start", (states.STOPPED,), states.POWERING_ON)
SOFT_REBOOT = Action("reboot", (states.ACTIVE, states.STOPPED, states.ERROR), states.REBOOTING)
HARD_REBOOT = Action("reboot", (states.ACTIVE, states.STOPPED, states.VM_PAUSED,
                                states.VM_SUSPENDED, states.ERROR), states.REBOOTING_HARD)
PAUSE = Action("pause", (states.ACTIVE,), states.PAUSING)
UNPAUSE = Action("unpause", (states.VM_PAUSED,), states.UNPAUSING)
SUSPEND = Action("suspend", (states.ACTIVE,), states.SUSPENDING)
RESUME = Action("resume", (states.VM_SUSPENDED,), states.RESUMING)
REBUILD = Action("rebuild", (states.ACTIVE, states.STOPPED, states.ERROR), states.REBUILDING)

# Who holds a lock, as Nova records it: the server's own project, or an admin of another.
LOCKED_BY_OWNER = "owner"
LOCKED_BY_ADMIN = "admin"

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


def _locked(uuid: str) -> errors.Conflict:
    return errors.Conflict(f"Instance {uuid} is locked")


def run(backends: Backends, context: RequestContext, mapping: Mapping, action: Action,
        extra: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> None:
    """Claim the server for ``action`` and queue the task; Conflict in the wrong state,
    or if the server is locked and the caller is no admin. ``values`` are columns
    the claim sets along with the task_state (a rebuild's new image and name).
    """
    uuid = mapping.instance_uuid
    cell = _placed_cell(backends, mapping, action.name)
    backends.require_conductor(cell)
    try:
        backends.write_in_cell(cell, cell_instances.update, uuid, expected_task_state=None,
                               expected_vm_states=action.allowed_vm_states,
                               unless_locked=not context.is_admin,
                               task_state=action.task_state, **(values or {}))
    except db_errors.Conflict:
        current = backends.in_cell(cell, cell_instances.get, uuid)
        if current.locked and not context.is_admin:
            raise _locked(uuid) from None
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
    if not cell.is_cell0:
        backends.require_conductor(cell)
    _claim_for_delete(backends, cell, mapping.instance_uuid, context.is_admin)
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


def _claim_for_delete(backends: Backends, cell: Cell, uuid: str, is_admin: bool) -> None:
    """Set task_state=deleting from whatever it is now (a repeated delete is fine).

    A locked server is deleted by an admin only.
    """
    for _attempt in range(_DELETE_ATTEMPTS):
        try:
            current = backends.in_cell(cell, cell_instances.get, uuid)
        except db_errors.NotFound as error:
            raise errors.NotFound(f"Instance {uuid} could not be found.") from error
        if current.locked and not is_admin:
            raise _locked(uuid)
        if current.task_state == states.DELETING:
            return
        try:
            backends.write_in_cell(cell, cell_instances.update, uuid,
                                   expected_task_state=current.task_state,
                                   unless_locked=not is_admin,
                                   task_state=states.DELETING)
            return
        except db_errors.Conflict:
            continue
        except db_errors.NotFound as error:
            raise errors.NotFound(f"Instance {uuid} could not be found.") from error
    raise _refused("delete", uuid, current.vm_state, current.task_state)


def placed_cell(backends: Backends, mapping: Mapping, action: str) -> Cell:
    """The cell of a server that reached a host; Conflict (naming ``action``) while it
    is still scheduled or if it never left cell0."""
    return _placed_cell(backends, mapping, action)


def _current(backends: Backends, cell: Cell, uuid: str) -> Instance:
    try:
        return backends.in_cell(cell, cell_instances.get, uuid)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {uuid} could not be found.") from error


def _record(backends: Backends, cell: Cell, context: RequestContext, uuid: str,
            action: str) -> None:
    backends.write_in_cell(cell, cell_instances.start_action, uuid, action,
                           context.request_id, context.user_id, context.project_id)


def lock(backends: Backends, context: RequestContext, mapping: Mapping,
         reason: str | None = None) -> None:
    """Lock the server: from now on only an admin may act on it.

    Locking a locked server changes nothing (it keeps its locker and reason).
    """
    uuid = mapping.instance_uuid
    cell = _placed_cell(backends, mapping, "lock")
    locked_by = (LOCKED_BY_OWNER if context.project_id == mapping.project_id
                 else LOCKED_BY_ADMIN)
    try:
        backends.write_in_cell(cell, cell_instances.update, uuid, unless_locked=True,
                               locked=True, locked_by=locked_by, locked_reason=reason)
    except db_errors.Conflict:
        return  # already locked
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {uuid} could not be found.") from error
    _record(backends, cell, context, uuid, "lock")


def unlock(backends: Backends, context: RequestContext, mapping: Mapping,
           may_override: bool) -> None:
    """Unlock the server. Only whoever locked it (its project, or an admin of another
    project) may, unless ``may_override`` (policy ``unlock:unlock_override``).
    """
    uuid = mapping.instance_uuid
    cell = _placed_cell(backends, mapping, "unlock")
    current = _current(backends, cell, uuid)
    if not current.locked:
        return
    caller = (LOCKED_BY_OWNER if context.project_id == mapping.project_id
              else LOCKED_BY_ADMIN)
    if current.locked_by not in (None, caller) and not may_override:
        raise errors.Forbidden(f"Instance {uuid} was locked by its {current.locked_by}; "
                               "only they may unlock it.")
    try:
        backends.write_in_cell(cell, cell_instances.update, uuid, locked=False,
                               locked_by=None, locked_reason=None)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {uuid} could not be found.") from error
    _record(backends, cell, context, uuid, "unlock")


def reset_state(backends: Backends, context: RequestContext, mapping: Mapping,
                vm_state: str) -> None:
    """Force the server's vm_state (``active`` or ``error``) and clear its task_state.

    Nothing is asked of the host: this is how an admin frees a server stuck in a
    task. Servers in cell0 may be reset too (they never ran anywhere).
    """
    uuid = mapping.instance_uuid
    if mapping.cell_id is None:
        mapping = servers.refreshed(backends, mapping)
    if mapping.cell_id is None:
        raise _refused("os-resetState", uuid, states.BUILDING, None)
    cell = servers.cell_of(backends, mapping)
    try:
        backends.write_in_cell(cell, cell_instances.update, uuid, vm_state=vm_state,
                               task_state=None)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {uuid} could not be found.") from error
    _record(backends, cell, context, uuid, "reset_state")
