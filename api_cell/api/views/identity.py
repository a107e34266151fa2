"""The identity v3 documents of the noauth2 identity stub (see handlers/identity.py)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from api_cell.api.domain import tokens
from api_cell.api.views import links

PREFIX = "identity/v3"
# The identity API v3 release the documents claim (Keystone's shape, no newer features).
VERSION_ID = "v3.14"
UPDATED = "2020-04-07T00:00:00Z"
# Keystone's domain that every project of a single-domain cloud lives in.
DEFAULT_DOMAIN = "default"


def root(base_url: str) -> str:
    """The identity endpoint clients are configured with: ``<base>/identity/v3``."""
    return f"{base_url.rstrip('/')}/{PREFIX}"


def version(base_url: str) -> dict[str, Any]:
    """GET /identity/v3: enough of Keystone's version document for discovery."""
    return {"version": {
        "id": VERSION_ID, "status": "stable", "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{root(base_url)}/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.identity-v3+json"}]}}


def project(project_id: str, base_url: str) -> dict[str, Any]:
    """A noauth2 project: its id is its name, in the default domain."""
    return {"id": project_id, "name": project_id, "domain_id": DEFAULT_DOMAIN,
            "parent_id": DEFAULT_DOMAIN, "description": "", "enabled": True,
            "is_domain": False, "tags": [], "options": {},
            "links": {"self": f"{root(base_url)}/projects/{project_id}"}}


def projects(project_ids: list[str], base_url: str) -> dict[str, Any]:
    """GET /identity/v3/projects"""
    return {"projects": [project(p, base_url) for p in project_ids],
            "links": {"self": f"{root(base_url)}/projects", "previous": None, "next": None}}


# The one region and interface of a cloud whose catalog the stub makes up.
REGION = "RegionOne"
INTERFACE = "public"
DEFAULT_DOMAIN_NAME = "Default"
# The names Keystone catalogs usually give these services.
SERVICE_NAMES = {"identity": "keystone", "compute": "nova", "placement": "placement",
                 "image": "glance"}


def catalog(base_url: str, others: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """The service catalog: this stub, this compute API and the ``others`` configured
    (service type -> URL; an unset URL leaves its service out, so clients skip it)."""
    urls = {"identity": root(base_url),
            "compute": f"{base_url.rstrip('/')}/{links.API_PREFIX}",
            **{kind: url for kind, url in others.items() if url}}
    return [{"type": kind, "name": SERVICE_NAMES.get(kind, kind), "id": kind,
             "endpoints": [{"id": f"{kind}-{INTERFACE}", "interface": INTERFACE,
                            "region": REGION, "region_id": REGION, "url": url}]}
            for kind, url in urls.items()]


def token(issued: tokens.Token, service_catalog: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``token`` of POST and GET /identity/v3/auth/tokens, Keystone's shape."""
    domain = {"id": DEFAULT_DOMAIN, "name": DEFAULT_DOMAIN_NAME}
    return {
        "methods": list(issued.methods),
        "user": {"id": issued.user_id, "name": issued.user_id, "domain": domain,
                 "password_expires_at": None},
        "project": {"id": issued.project_id, "name": issued.project_id, "domain": domain},
        "roles": [{"id": role, "name": role} for role in issued.roles],
        "issued_at": _isotime(issued.issued_at),
        "expires_at": _isotime(issued.expires_at),
        "audit_ids": [issued.audit_id],
        "catalog": service_catalog,
        "is_domain": False,
    }


def _isotime(moment: datetime.datetime) -> str:
    # Keystone's format: UTC, microseconds, Z.
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
