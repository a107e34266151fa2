"""Tokens of the noauth2 identity stub: whom a token names, its roles, its lifetime.

A noauth2 token is ``user:project`` (common/auth.py); nothing is stored, so issuing
one is deciding which user and project the request names, and validating one is
reading it.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import secrets
from typing import Any

from api_cell.api import errors
from api_cell.api.schemas import identity as schemas
from common import auth

# How long clients may use a token before asking again; noauth2 itself never expires
# one, but keystoneauth wants a date to renew by.
LIFETIME = datetime.timedelta(hours=24)

# The schema's pattern, checked whole: a JSON Schema '$' lets a trailing newline
# through, which must never reach a response header.
_NAME = re.compile(r"[!-9;-~]{1,255}")


@dataclasses.dataclass(frozen=True)
class Token:
    """One token as Keystone would describe it."""

    user_id: str
    project_id: str
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    audit_id: str

    @property
    def id(self) -> str:
        """What the client sends as X-Auth-Token: the noauth2 token itself."""
        return auth.noauth2_token(self.user_id, self.project_id)


def issue(fields: dict[str, Any]) -> Token:
    """A token for the validated ``auth`` object of a POST /auth/tokens.

    Every method listed must name the same user. Without a scope the token is for the
    project of the token given (token method) or the project named like the user.
    """
    identity = fields["identity"]
    users: list[tuple[str, str]] = []
    for method in identity["methods"]:
        if method not in identity:
            raise errors.BadRequest(f"Method {method} is listed but no {method} "
                                    "object is given")
        users.append(_password_user(identity[method]) if method == schemas.PASSWORD
                     else _token_user(identity[method]["id"]))
    if len({user for user, _project in users}) > 1:
        raise errors.Unauthorized("The methods name different users.")
    user_id, project_id = users[0]
    project = fields.get("scope", {}).get("project")
    if project is not None:
        project_id = _checked(project.get("id") or project["name"])
    return _token(user_id, project_id, tuple(identity["methods"]))


def validate(subject_token: str | None) -> Token:
    """The token ``subject_token`` is; NotFound if noauth2 cannot read it."""
    caller = _read(subject_token or "")
    if caller is None:
        raise errors.NotFound("Could not find token.")
    # What methods made it is not written in a noauth2 token.
    return _token(*caller, (schemas.TOKEN,))


def _read(token: str) -> tuple[str, str] | None:
    """(user, project) of a noauth2 token whose names are fit for a header; else None."""
    caller = auth.parse_noauth2_token(token)
    if caller is None or not all(_NAME.fullmatch(part) for part in caller):
        return None
    return caller


def _password_user(password: dict[str, Any]) -> tuple[str, str]:
    # noauth2 checks no password: whoever asks is whom they name. The user's project
    # is the one named like it until a scope says otherwise.
    user = password["user"]
    user_id = _checked(user.get("id") or user["name"])
    return user_id, user_id


def _token_user(token_id: str) -> tuple[str, str]:
    caller = _read(token_id)
    if caller is None:
        raise errors.Unauthorized("The request you have made requires authentication.")
    return caller


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise errors.BadRequest(f"Invalid name {name!r}: printable ASCII without blanks or ':'")
    return name


def _token(user_id: str, project_id: str, methods: tuple[str, ...]) -> Token:
    now = datetime.datetime.now(datetime.UTC)
    return Token(user_id=user_id, project_id=project_id, roles=auth.noauth2_roles(user_id),
                 methods=methods, issued_at=now, expires_at=now + LIFETIME,
                 audit_id=secrets.token_urlsafe(16))
