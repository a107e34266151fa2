"""/v2.1/servers/{id}/os-instance-actions"""

from __future__ import annotations

import datetime

from api_cell.api import errors, policies, request
from api_cell.api.domain import instance_actions, server_filters, servers
from api_cell.api.views import instance_actions as view


def _mapping(server_id: str, rule: str):
    mapping = servers.find(request.backends(), request.context(), server_id)
    if mapping.queued_for_delete and not request.at_least("2.21"):
        raise errors.NotFound(f"Instance {server_id} could not be found.")
    request.authorize(rule, {"project_id": mapping.project_id})
    return mapping


def _time_param(name: str) -> datetime.datetime | None:
    text = request.query().get(name)
    return None if text is None else server_filters.parse_time(name, text)


def index(server_id: str) -> dict:
    """GET /servers/{id}/os-instance-actions (limit, marker, changes-since from 2.58;
    changes-before from 2.66)."""
    mapping = _mapping(server_id, policies.ACTIONS_LIST)
    paged = request.at_least("2.58")
    since = _time_param("changes-since") if paged else None
    before = _time_param("changes-before") if request.at_least("2.66") else None
    if since is not None and before is not None and since > before:
        raise errors.BadRequest("The value of changes-since must be less than or equal "
                                "to changes-before.")
    found = instance_actions.list_for(
        request.backends(), mapping,
        limit=request.int_param("limit") if paged else None,
        marker=request.query().get("marker") if paged else None,
        changes_since=since, changes_before=before)
    return {"instanceActions": [view.action(a, paged) for a in found]}


def show(server_id: str, request_id: str) -> dict:
    """GET /servers/{id}/os-instance-actions/{request_id}

    Events: for admins before 2.51, for everyone from 2.51; tracebacks and hosts only
    for admins; hostId from 2.62; a failed event's error message from 2.84.
    """
    mapping = _mapping(server_id, policies.ACTIONS_SHOW)
    found = instance_actions.get(request.backends(), mapping, request_id)
    shown = view.action(found, request.at_least("2.58"))
    details = request.allowed(policies.ACTIONS_EVENTS_DETAILS,
                              {"project_id": mapping.project_id})
    if request.at_least("2.51") or request.allowed(policies.ACTIONS_EVENTS,
                                                   {"project_id": mapping.project_id}):
        shown["events"] = [view.event(e, mapping.project_id, details,
                                      request.at_least("2.62"), request.at_least("2.84"))
                           for e in found.events]
    return {"instanceAction": shown}
