"""Who is calling: the request context every handler and domain function receives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from api_cell.api import errors
from common import auth

ADMIN_ROLE = auth.ADMIN_ROLE


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


def from_environ(environ: Mapping[str, object], request_id: str) -> RequestContext:
    """The caller the authentication middleware (noauth2 or Keystone) confirmed.

    Unauthorized when there is none: no token, a token Keystone refused, or one
    scoped to no project.
    """
    caller = auth.identity(environ)
    if caller is None:
        raise errors.Unauthorized("The request you have made requires authentication.")
    return RequestContext(caller.user_id, caller.project_id, caller.roles, request_id)
