"""Authentication: the noauth2 middleware, or keystonemiddleware.

Either middleware leaves the caller's identity in the ``X-User-Id``,
``X-Project-Id`` and ``X-Roles`` headers; the app refuses requests without one
(``placement.app``), so the 401 carries the usual error body and request id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from oslo_config import cfg

_IDENTITY_HEADERS = ("HTTP_X_USER_ID", "HTTP_X_PROJECT_ID", "HTTP_X_ROLES",
                     "HTTP_X_IDENTITY_STATUS")


class NoAuth2:
    """Trust the token: ``admin`` is an administrator, ``user:project`` a member.

    Identity headers a client sent itself are dropped first, so nobody becomes
    admin by sending ``X-Roles: admin``.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        for key in _IDENTITY_HEADERS:
            environ.pop(key, None)
        token = environ.get("HTTP_X_AUTH_TOKEN", "").strip()
        if token:
            user, _sep, project = token.partition(":")
            environ["HTTP_X_USER_ID"] = user
            environ["HTTP_X_PROJECT_ID"] = project or user
            environ["HTTP_X_ROLES"] = "admin" if token == "admin" else "member"
            environ["HTTP_X_IDENTITY_STATUS"] = "Confirmed"
        return self.app(environ, start_response)


def wrap(app: Callable, conf: cfg.ConfigOpts) -> Callable:
    """``app`` behind the authentication middleware ``[api] auth_strategy`` names."""
    if conf.api.auth_strategy == "keystone":
        # Imported here: keystonemiddleware is only needed where Keystone is used.
        from keystonemiddleware import auth_token

        return auth_token.AuthProtocol(app, {"oslo_config_config": conf,
                                             "delay_auth_decision": True})
    return NoAuth2(app)
