"""The identity v3 documents of the noauth2 identity stub (see handlers/identity.py)."""

from __future__ import annotations

from typing import Any

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
