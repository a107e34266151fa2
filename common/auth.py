"""Authentication of Cellar's HTTP APIs (compute and placement): noauth2 or Keystone.

``wrap`` puts the middleware ``[api] auth_strategy`` names in front of a WSGI app.
Either middleware leaves the caller in the headers keystonemiddleware defines
(``X-Identity-Status``, ``X-User-Id``, ``X-Project-Id``, ``X-Roles``); ``identity``
reads them back, and each API builds its own request context from the result and
answers 401 in its own error format when there is none.

With ``keystone`` the options come from the ``[keystone_authtoken]`` group of the
service's configuration file (see doc/auth.rst for the ones an operator sets).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping

from keystonemiddleware import auth_token
from oslo_config import cfg

NOAUTH2 = "noauth2"
KEYSTONE = "keystone"

ADMIN_ROLE = "admin"
MEMBER_ROLE = "member"
READER_ROLE = "reader"
# Keystone's bootstrap makes admin imply member and member imply reader; the
# default policies of both APIs count on that chain.
_IMPLIED_ROLES = {ADMIN_ROLE: (MEMBER_ROLE, READER_ROLE), MEMBER_ROLE: (READER_ROLE,)}

NOAUTH2_ADMIN_USER = "admin"
CONFIRMED = "Confirmed"

# What a client may not set itself: the middleware is the only source of these.
_IDENTITY_HEADERS = ("HTTP_X_IDENTITY_STATUS", "HTTP_X_USER_ID", "HTTP_X_PROJECT_ID",
                     "HTTP_X_ROLES", "HTTP_X_SERVICE_ROLES")


@dataclasses.dataclass(frozen=True)
class Identity:
    """A caller an authentication middleware vouched for."""

    user_id: str
    project_id: str
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


class NoAuth2:
    """Trust the token: ``user:project`` names the caller, user ``admin`` is an administrator.

    A token without a project (``alice``) puts the user in the project of the same
    name; a token without a user confirms nobody. Identity headers a client sent
    itself are dropped first, so nobody becomes admin by sending ``X-Roles: admin``.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        for key in _IDENTITY_HEADERS:
            environ.pop(key, None)
        caller = parse_noauth2_token(environ.get("HTTP_X_AUTH_TOKEN", ""))
        if caller is not None:
            user_id, project_id = caller
            environ["HTTP_X_USER_ID"] = user_id
            environ["HTTP_X_PROJECT_ID"] = project_id
            environ["HTTP_X_ROLES"] = ",".join(noauth2_roles(user_id))
            environ["HTTP_X_IDENTITY_STATUS"] = CONFIRMED
        return self.app(environ, start_response)


def parse_noauth2_token(token: str) -> tuple[str, str] | None:
    """(user, project) a noauth2 token names, or None for a token naming no user.

    ``user:project`` as it reads; ``user`` alone is in the project of the same name.
    """
    user_id, _sep, project_id = token.strip().partition(":")
    if not user_id:
        return None
    return user_id, project_id or user_id


def noauth2_token(user_id: str, project_id: str) -> str:
    """The noauth2 token ``parse_noauth2_token`` reads back as (user_id, project_id)."""
    return f"{user_id}:{project_id}"


def noauth2_roles(user_id: str) -> tuple[str, ...]:
    """The roles noauth2 gives ``user_id``: admin (and what it implies) for the
    administrator, member and reader for anybody else."""
    role = ADMIN_ROLE if user_id == NOAUTH2_ADMIN_USER else MEMBER_ROLE
    return (role, *_IMPLIED_ROLES[role])


def keystone_middleware(app: Callable, conf: cfg.ConfigOpts) -> Callable:
    """``app`` behind keystonemiddleware's auth_token, configured from ``conf``.

    The decision is delayed: a missing or refused token reaches the app as
    ``X-Identity-Status: Invalid``, so the public version documents stay public and
    the 401 carries the API's own error body; auth_token adds ``WWW-Authenticate``
    to any 401 the app returns.
    """
    return auth_token.AuthProtocol(app, {"oslo_config_config": conf,
                                         "delay_auth_decision": True})


def wrap(app: Callable, conf: cfg.ConfigOpts) -> Callable:
    """``app`` behind the authentication middleware ``[api] auth_strategy`` names."""
    if conf.api.auth_strategy == KEYSTONE:
        return keystone_middleware(app, conf)
    return NoAuth2(app)


def identity(environ: Mapping[str, object]) -> Identity | None:
    """The caller the middleware confirmed, or None.

    None for no token, a token Keystone refused, and a token scoped to no project
    (unscoped, domain or system scope): both APIs keep resources per project.
    """
    if environ.get("HTTP_X_IDENTITY_STATUS") != CONFIRMED:
        return None
    user_id = str(environ.get("HTTP_X_USER_ID") or "")
    project_id = str(environ.get("HTTP_X_PROJECT_ID") or "")
    if not user_id or not project_id:
        return None
    return Identity(user_id, project_id, expand_roles(str(environ.get("HTTP_X_ROLES") or "")))


def expand_roles(header: str) -> tuple[str, ...]:
    """The roles of an ``X-Roles`` header, with the ones admin and member imply."""
    roles: list[str] = []
    for name in (part.strip() for part in header.split(",")):
        for role in (name, *_IMPLIED_ROLES.get(name.lower(), ())):
            if role and role not in roles:
                roles.append(role)
    return tuple(roles)
