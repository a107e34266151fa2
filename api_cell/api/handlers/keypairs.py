"""/v2.1/os-keypairs"""

from __future__ import annotations

from api_cell.api import policies, request
from api_cell.api.domain import keypairs
from api_cell.api.schemas import keypairs as schemas
from api_cell.api.views import keypairs as view
from api_cell.api.views import links


def _owner(rule: str) -> str:
    """The user whose key pairs the request is about: ``user_id`` (2.10, admin) or self."""
    context = request.context()
    user_id = context.user_id
    if request.at_least("2.10"):
        user_id = request.query().get("user_id") or user_id
    request.authorize(rule, {"user_id": user_id, "project_id": context.project_id})
    return user_id


def create() -> tuple[dict, int]:
    """POST /os-keypairs: import a public key, or make a pair (200; 201 from 2.2)."""
    with_type = request.at_least("2.2")
    fields = request.body(schemas.create(with_type, request.at_least("2.10"),
                                         request.at_least("2.92")), "keypair")
    context = request.context()
    user_id = fields.get("user_id") or context.user_id
    request.authorize(policies.KEYPAIRS_CREATE,
                      {"user_id": user_id, "project_id": context.project_id})
    key_type = fields.get("type", keypairs.SSH)
    public_key, private_key = fields.get("public_key"), None
    if public_key is None:
        public_key, private_key = keypairs.generate(key_type, user_id,
                                                    context.project_id)
    key = keypairs.create(request.backends(), context, user_id, fields["name"],
                          public_key, key_type)
    return {"keypair": view.created(key, with_type, private_key)}, 201 if with_type else 200


def index() -> dict:
    """GET /os-keypairs (``limit``/``marker`` from 2.35)."""
    user_id = _owner(policies.KEYPAIRS_INDEX)
    paged = request.at_least("2.35")
    limit = request.int_param("limit") if paged else None
    marker = request.query().get("marker") if paged else None
    keys = keypairs.list_for(request.backends(), user_id, limit, marker)
    with_type = request.at_least("2.2")
    document: dict = {"keypairs": [view.summary(k, with_type) for k in keys]}
    if paged and limit is not None and keys and len(keys) == limit:
        document["keypairs_links"] = links.next_page(request.base_url(), "os-keypairs",
                                                     request.query(), keys[-1].name)
    return document


def show(name: str) -> dict:
    """GET /os-keypairs/{name}"""
    user_id = _owner(policies.KEYPAIRS_SHOW)
    key = keypairs.get(request.backends(), user_id, name)
    return {"keypair": view.detail(key, request.at_least("2.2"))}


def delete(name: str) -> tuple[str, int]:
    """DELETE /os-keypairs/{name} (202; 204 from 2.2)."""
    user_id = _owner(policies.KEYPAIRS_DELETE)
    keypairs.delete(request.backends(), user_id, name)
    return "", 204 if request.at_least("2.2") else 202

