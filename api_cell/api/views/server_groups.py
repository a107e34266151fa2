"""The server group view (project_id/user_id from 2.13, policy/rules from 2.64)."""

from __future__ import annotations

from typing import Any

from db.api.server_groups import GroupRecord


def show(group: GroupRecord, with_owner: bool, policy_and_rules: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"id": group.uuid, "name": group.name,
                            "members": list(group.members)}
    if policy_and_rules:
        view["policy"] = group.policy
        view["rules"] = dict(group.rules)
    else:
        view["policies"] = [group.policy]
        view["metadata"] = {}
    if with_owner:
        view["project_id"] = group.project_id
        view["user_id"] = group.user_id
    return view
