"""Server groups: create, read and delete them; membership follows server create/delete."""

from __future__ import annotations

from typing import Any

from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain import quotas
from api_cell.api.domain.backends import Backends
from db import errors as db_errors
from db.api import server_groups as db_groups
from db.api.server_groups import GroupRecord


def create(backends: Backends, context: RequestContext, name: str, policy: str,
           rules: dict[str, Any]) -> GroupRecord:
    """Add a group to the caller's project; 403 over the server_groups quota."""
    if rules and policy != "anti-affinity":
        raise errors.BadRequest(f"Only anti-affinity policy supports rules, not {policy}.")
    limit = quotas.limit_of(backends, context.project_id, "server_groups")
    try:
        return db_groups.create(backends.api_url, name, context.project_id, context.user_id,
                                policy, rules, limit=limit)
    except db_errors.Conflict as error:
        raise errors.Forbidden("Quota exceeded, too many server groups.") from error


def get(backends: Backends, context: RequestContext, group_uuid: str) -> GroupRecord:
    """A group the caller may see; 404 for another project's (unless admin)."""
    try:
        group = db_groups.get(backends.api_url, group_uuid)
    except db_errors.NotFound:
        group = None
    if group is None or (group.project_id != context.project_id and not context.is_admin):
        raise errors.NotFound(f"Server group {group_uuid} could not be found.")
    return group


def list_groups(backends: Backends, context: RequestContext, all_projects: bool,
                limit: int | None, offset: int | None) -> list[GroupRecord]:
    limit = backends.max_limit if limit is None else min(limit, backends.max_limit)
    return db_groups.list_groups(backends.api_url, None if all_projects
                                 else context.project_id, limit, offset or 0)


def delete(backends: Backends, group_uuid: str) -> None:
    try:
        db_groups.delete(backends.api_url, group_uuid)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Server group {group_uuid} could not be found.") from error


def forget_server(backends: Backends, instance_uuid: str) -> None:
    """A deleted server leaves its groups."""
    db_groups.remove_member(backends.api_url, instance_uuid)


def groups_of(backends: Backends, instance_uuid: str) -> list[str]:
    """The uuids of the groups a server belongs to (2.71)."""
    return db_groups.groups_of(backends.api_url, [instance_uuid]).get(instance_uuid, [])
