"""Who is calling: the request context every handler and domain function receives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from api_cell.api import errors

ADMIN_TOKEN = "admin"
ADMIN_ROLE = "admin"


@dataclasses.dataclass(frozen=True)
class RequestContext:
    """The caller of one request and the request id that follows its work."""

    user_id: str
    project_id: str
    roles: tuple[str, ...]
    request_id: str

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def policy_credentials(self) -> dict[str, object]:
        """What oslo.policy rules match against."""
        return {"user_id": self.user_id, "project_id": self.project_id,
                "roles": list(self.roles), "is_admin": self.is_admin}


def from_noauth2(headers: Mapping[str, str], request_id: str) -> RequestContext:
    """Trust the token: ``user:project`` names the caller, ``admin`` is an administrator.

    A token ``admin:project`` is an administrator acting in ``project``; a token with no
    colon is a user in the project of the same name.
    """
    token = (headers.get("X-Auth-Token") or "").strip()
    if not token:
        raise errors.Unauthorized("The request you have made requires authentication.")
    user_id, _, project_id = token.partition(":")
    if not user_id:
        raise errors.Unauthorized("The token names no user.")
    roles = ("admin", "member", "reader") if user_id == ADMIN_TOKEN else ("member", "reader")
    return RequestContext(user_id, project_id or user_id, roles, request_id)
