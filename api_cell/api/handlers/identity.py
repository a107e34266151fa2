"""An identity v3 stub for noauth2 clouds, so the OpenStack clients need no Keystone.

Clients log in with a password (``POST /auth/tokens``) and get a noauth2 token and a
service catalog: the catalog is how openstackclient tells which services the cloud
runs, and skips the others (no volume or network quotas in ``quota show``).
openstackclient also builds an identity v3 client for commands that never need one
(``server list`` discovers it up front) and looks projects up by name
(``quota show demo``). Under noauth2 a project is only the name a token carries, so
the stub answers the version document and project lookups by that rule. With
``[api] auth_strategy = keystone`` a real Keystone does this, and the stub is 404.
"""

from __future__ import annotations

from api_cell.api import errors, policies, request
from api_cell.api.domain import tokens
from api_cell.api.schemas import identity as schemas
from api_cell.api.views import identity as view
from common import auth

SUBJECT_TOKEN_HEADER = "X-Subject-Token"


def version() -> dict:
    """GET /identity/v3"""
    _only_without_keystone()
    return view.version(request.base_url())


def token_create() -> tuple[dict, int, dict[str, str]]:
    """POST /identity/v3/auth/tokens: log in (password or token method), get a token.

    noauth2 checks no password: any password logs in as the user named, and user
    ``admin`` is an administrator. The token is ``user:project`` (X-Subject-Token).
    """
    _only_without_keystone()
    issued = tokens.issue(request.body(schemas.AUTH, "auth"))
    return ({"token": view.token(issued, _catalog())}, 201,
            {SUBJECT_TOKEN_HEADER: issued.id})


def token_show() -> tuple[dict, int, dict[str, str]]:
    """GET /identity/v3/auth/tokens: the token of X-Subject-Token (404 if unreadable)."""
    _only_without_keystone()
    issued = tokens.validate(request.header(SUBJECT_TOKEN_HEADER))
    return ({"token": view.token(issued, _catalog())}, 200,
            {SUBJECT_TOKEN_HEADER: issued.id})


def _catalog() -> list[dict]:
    return view.catalog(request.base_url(), request.service_endpoints())


def project_show(project_id: str) -> dict:
    """GET /identity/v3/projects/{project_id}: one's own project (any for an admin)."""
    _only_without_keystone()
    request.authorize(policies.IDENTITY_PROJECT_SHOW, {"project_id": project_id})
    return {"project": view.project(project_id, request.base_url())}


def project_index() -> dict:
    """GET /identity/v3/projects: admins only, as in Keystone.

    noauth2 keeps no list of projects: ``?name=`` finds the project of that name,
    otherwise the list holds the caller's own.
    """
    _only_without_keystone()
    request.authorize(policies.IDENTITY_PROJECTS_LIST)
    name = request.query().get("name")
    return view.projects([name or request.context().project_id], request.base_url())


def _only_without_keystone() -> None:
    if request.auth_strategy() != auth.NOAUTH2:
        raise errors.NotFound("The resource could not be found.")
