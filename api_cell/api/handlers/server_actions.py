"""POST /v2.1/servers/{server_id}/action: the body's only key names the action."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from api_cell.api import errors, policies, request, validation
from api_cell.api.domain import actions, servers
from api_cell.api.schemas import servers as schemas


@dataclasses.dataclass(frozen=True)
class _Entry:
    rule: str
    schema: dict[str, Any]
    # The domain action and the extra task payload, from the validated argument.
    plan: Callable[[Any], tuple[actions.Action, dict[str, Any]]]


def _reboot(argument: dict[str, Any]) -> tuple[actions.Action, dict[str, Any]]:
    kind = argument["type"].upper()
    action = actions.HARD_REBOOT if kind == "HARD" else actions.SOFT_REBOOT
    return action, {"reboot_type": kind}


ACTIONS: dict[str, _Entry] = {
    "os-start": _Entry(policies.SERVERS_START, schemas.START, lambda _: (actions.START, {})),
    "os-stop": _Entry(policies.SERVERS_STOP, schemas.STOP, lambda _: (actions.STOP, {})),
    "reboot": _Entry(policies.SERVERS_REBOOT, schemas.REBOOT, _reboot),
}


def action(server_id: str) -> tuple[str, int]:
    """Run one action on a server (202): claim it in its cell and queue the task."""
    document = request.raw_body()
    if not isinstance(document, dict) or len(document) != 1:
        raise errors.BadRequest("Malformed request body: expected one action")
    name, argument = next(iter(document.items()))
    entry = ACTIONS.get(name)
    if entry is None:
        raise errors.BadRequest(f"There is no such action: {name}")
    validation.validate({"type": "object", "properties": {name: entry.schema}}, document)
    backends = request.backends()
    mapping = servers.find(backends, request.context(), server_id)
    request.authorize(entry.rule, {"project_id": mapping.project_id})
    domain_action, extra = entry.plan(argument)
    actions.run(backends, request.context(), mapping, domain_action, extra)
    return "", 202
