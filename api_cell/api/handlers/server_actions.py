"""POST /v2.1/servers/{server_id}/action: the body's only key names the action."""

from __future__ import annotations

import dataclasses
import secrets
import string
from collections.abc import Callable
from typing import Any

from api_cell.api import errors, policies, request, validation
from api_cell.api.domain import actions, servers
from api_cell.api.domain import server_actions as more
from api_cell.api.handlers import servers as server_handlers
from api_cell.api.schemas import server_actions as schemas
from api_cell.api.schemas import servers as server_schemas
from api_cell.api.schemas import types
from api_cell.api.views import links
from db.api.instances import Mapping

# What a handler returns to Flask: a body and a status, maybe headers.
Reply = tuple[Any, int] | tuple[Any, int, dict[str, str]]

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


@dataclasses.dataclass(frozen=True)
class _Entry:
    rule: str
    # The argument's schema at the request's microversion.
    schema: Callable[[tuple[int, int]], dict[str, Any]]
    # Carries the action out on an authorized caller's server.
    perform: Callable[[Mapping, Any], Reply]


def _fixed(schema: dict[str, Any]) -> Callable[[tuple[int, int]], dict[str, Any]]:
    return lambda _version: schema


def _queued(plan: Callable[[Any], tuple[actions.Action, dict[str, Any]]]
            ) -> Callable[[Mapping, Any], Reply]:
    """Claim the server for the planned action and queue its task (202)."""
    def perform(mapping: Mapping, argument: Any) -> Reply:
        domain_action, extra = plan(argument)
        actions.run(request.backends(), request.context(), mapping, domain_action, extra)
        return "", 202
    return perform


def _simple(action: actions.Action) -> Callable[[Mapping, Any], Reply]:
    return _queued(lambda _argument: (action, {}))


def _reboot(argument: dict[str, Any]) -> tuple[actions.Action, dict[str, Any]]:
    kind = argument["type"].upper()
    action = actions.HARD_REBOOT if kind == "HARD" else actions.SOFT_REBOOT
    return action, {"reboot_type": kind}


def _lock(mapping: Mapping, argument: dict[str, Any] | None) -> Reply:
    reason = (argument or {}).get("locked_reason") if request.at_least("2.73") else None
    actions.lock(request.backends(), request.context(), mapping, reason)
    return "", 202


def _unlock(mapping: Mapping, _argument: Any) -> Reply:
    may_override = request.allowed(policies.SERVERS_UNLOCK_OVERRIDE,
                                   {"project_id": mapping.project_id})
    actions.unlock(request.backends(), request.context(), mapping, may_override)
    return "", 202


def _reset_state(mapping: Mapping, argument: dict[str, Any]) -> Reply:
    actions.reset_state(request.backends(), request.context(), mapping, argument["state"])
    return "", 202


def _console_output(mapping: Mapping, argument: dict[str, Any] | None) -> Reply:
    length = (argument or {}).get("length")
    length = None if length is None else int(length)
    # The schema bounds integers only; a string of digits is bounded here (the agent's
    # request holds 32 bits: a larger one was a 500).
    if length is not None and not -1 <= length <= types.MAX_INT:
        raise errors.BadRequest(f"Invalid input: length must be from -1 to {types.MAX_INT}")
    output = more.console_output(request.backends(), mapping,
                                 None if length == -1 else length)
    return {"output": output}, 200


def _create_image(mapping: Mapping, argument: dict[str, Any]) -> Reply:
    image_id = more.create_image(request.backends(), request.context(), mapping,
                                 argument["name"], argument.get("metadata", {}))
    location = links.self_href(request.base_url(), "images", image_id)
    if request.at_least("2.45"):
        return {"image_id": image_id}, 202
    return "", 202, {"Location": location}


def _rebuild(mapping: Mapping, argument: dict[str, Any]) -> Reply:
    if argument.get("trusted_image_certificates") is not None:
        request.authorize(policies.SERVERS_REBUILD_TRUSTED_CERTS,
                          {"project_id": mapping.project_id})
    wanted = more.Rebuild(
        image_ref=argument["imageRef"], name=argument.get("name"),
        metadata=argument.get("metadata"),
        description=argument.get("description", more.UNCHANGED),
        key_name=argument.get("key_name", more.UNCHANGED),
        user_data=argument.get("user_data"),
        trusted_certificates=argument.get("trusted_image_certificates", more.UNCHANGED),
        hostname=argument.get("hostname", more.UNCHANGED),
        access_ip_v4=server_handlers.access_address(argument, "accessIPv4"),
        access_ip_v6=server_handlers.access_address(argument, "accessIPv6"))
    more.rebuild(request.backends(), request.context(), mapping, wanted)
    document = server_handlers.show(mapping.instance_uuid)
    document["server"]["adminPass"] = argument.get("adminPass") or "".join(
        secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))
    if request.at_least("2.57"):
        document["server"]["user_data"] = argument.get("user_data")
    return document, 202


def _refused_move(name: str) -> Callable[[Mapping, Any], Reply]:
    def perform(mapping: Mapping, _argument: Any) -> Reply:
        raise more.move_refusal(request.backends(), mapping, name)
    return perform


ACTIONS: dict[str, _Entry] = {
    "os-start": _Entry(policies.SERVERS_START, _fixed(server_schemas.START),
                       _simple(actions.START)),
    "os-stop": _Entry(policies.SERVERS_STOP, _fixed(server_schemas.STOP),
                      _simple(actions.STOP)),
    "reboot": _Entry(policies.SERVERS_REBOOT, _fixed(server_schemas.REBOOT),
                     _queued(_reboot)),
    "pause": _Entry(policies.SERVERS_PAUSE, _fixed(schemas.PAUSE), _simple(actions.PAUSE)),
    "unpause": _Entry(policies.SERVERS_UNPAUSE, _fixed(schemas.UNPAUSE),
                      _simple(actions.UNPAUSE)),
    "suspend": _Entry(policies.SERVERS_SUSPEND, _fixed(schemas.SUSPEND),
                      _simple(actions.SUSPEND)),
    "resume": _Entry(policies.SERVERS_RESUME, _fixed(schemas.RESUME),
                     _simple(actions.RESUME)),
    "lock": _Entry(policies.SERVERS_LOCK, schemas.lock, _lock),
    "unlock": _Entry(policies.SERVERS_UNLOCK, _fixed(schemas.UNLOCK), _unlock),
    "rebuild": _Entry(policies.SERVERS_REBUILD, schemas.rebuild, _rebuild),
    "os-resetState": _Entry(policies.SERVERS_RESET_STATE, _fixed(schemas.RESET_STATE),
                            _reset_state),
    "os-getConsoleOutput": _Entry(policies.SERVERS_CONSOLE_OUTPUT,
                                  _fixed(schemas.CONSOLE_OUTPUT), _console_output),
    "createImage": _Entry(policies.SERVERS_CREATE_IMAGE, _fixed(schemas.CREATE_IMAGE),
                          _create_image),
    "resize": _Entry(policies.SERVERS_RESIZE, _fixed(schemas.RESIZE),
                     _refused_move("resize")),
    "confirmResize": _Entry(policies.SERVERS_CONFIRM_RESIZE, _fixed(schemas.CONFIRM_RESIZE),
                            _refused_move("confirmResize")),
    "revertResize": _Entry(policies.SERVERS_REVERT_RESIZE, _fixed(schemas.REVERT_RESIZE),
                           _refused_move("revertResize")),
    "migrate": _Entry(policies.SERVERS_MIGRATE, server_schemas.migrate,
                      _refused_move("migrate")),
    "os-migrateLive": _Entry(policies.SERVERS_MIGRATE_LIVE, _fixed(schemas.MIGRATE_LIVE),
                             _refused_move("os-migrateLive")),
    "evacuate": _Entry(policies.SERVERS_EVACUATE, schemas.evacuate,
                       _refused_move("evacuate")),
    "shelve": _Entry(policies.SERVERS_SHELVE, _fixed(schemas.SHELVE),
                     _refused_move("shelve")),
    "unshelve": _Entry(policies.SERVERS_UNSHELVE, schemas.unshelve,
                       _refused_move("unshelve")),
}


def action(server_id: str) -> Reply:
    """Run one action on a server: validate the body, find the server (404 if the
    caller may not see it), check the action's policy, carry it out."""
    document = request.raw_body()
    if not isinstance(document, dict) or len(document) != 1:
        raise errors.BadRequest("Malformed request body: expected one action")
    name, argument = next(iter(document.items()))
    entry = ACTIONS.get(name)
    if entry is None:
        raise errors.BadRequest(f"There is no such action: {name}")
    schema = entry.schema(tuple(request.version()))
    validation.validate({"type": "object", "properties": {name: schema}}, document)
    mapping = servers.find(request.backends(), request.context(), server_id)
    request.authorize(entry.rule, {"project_id": mapping.project_id})
    return entry.perform(mapping, argument)
