"""Instance action views (updated_at 2.58, event host/hostId 2.62, details 2.84)."""

from __future__ import annotations

from typing import Any

from api_cell.api.views.servers import host_id
from db.cell.actions import Action, Event


def _time(moment) -> str | None:
    # Nova writes action times without a zone suffix.
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def action(entry: Action, with_updated: bool) -> dict[str, Any]:
    view = {"action": entry.action, "instance_uuid": entry.instance_uuid,
            "message": entry.message, "project_id": entry.project_id,
            "request_id": entry.request_id, "start_time": _time(entry.start_time),
            "user_id": entry.user_id}
    if with_updated:
        view["updated_at"] = _time(entry.updated_at)
    return view


def event(entry: Event, project_id: str | None, details: bool, with_host: bool,
          with_fault: bool = False) -> dict[str, Any]:
    """One event; ``details`` (admins) adds the traceback and host, ``with_fault``
    (2.84) the error message of a failed event (null for the others)."""
    view = {"event": entry.event, "start_time": _time(entry.start_time),
            "finish_time": _time(entry.finish_time), "result": entry.result}
    if with_fault:
        # Cellar records a failed step's error message, the same text as the
        # server's fault, where Nova keeps its traceback.
        view["details"] = entry.traceback if entry.result == "Error" else None
    if details:
        view["traceback"] = entry.traceback
    if with_host:
        view["hostId"] = host_id(project_id or "", entry.host)
        if details:
            view["host"] = entry.host or ""
    return view


