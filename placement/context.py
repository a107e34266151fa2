"""The per-request context handlers work with."""

from __future__ import annotations

import dataclasses
import datetime

from placement.microversion import Version
from placement.policy import Policy


@dataclasses.dataclass
class RequestContext:
    """Who is calling, at which microversion, against which database."""

    request_id: str
    user_id: str | None
    project_id: str | None
    roles: list[str]
    version: Version
    db_url: str
    policy: Policy
    retries: int = 10
    # Set by handlers whose resource has a modification time (Last-Modified, 1.15).
    last_modified: datetime.datetime | None = None

    def credentials(self) -> dict:
        """The credentials oslo.policy checks."""
        return {"user_id": self.user_id, "project_id": self.project_id, "roles": self.roles}

    def authorize(self, action: str, target: dict | None = None) -> None:
        """Raise Forbidden unless the caller may perform ``action`` (on ``target``)."""
        self.policy.authorize(action, self.credentials(), target)

    def at_least(self, minor: int) -> bool:
        """True when the request's microversion is 1.minor or later."""
        return self.version >= (1, minor)
