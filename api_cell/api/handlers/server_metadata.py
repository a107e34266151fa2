"""/v2.1/servers/{id}/metadata and /v2.1/servers/{id}/tags (2.26)."""

from __future__ import annotations

from api_cell.api import errors, policies, request, validation
from api_cell.api.domain import server_metadata, servers
from api_cell.api.schemas import server_metadata as schemas
from api_cell.api.views import links


def _mapping(server_id: str, rule: str):
    mapping = servers.find(request.backends(), request.context(), server_id)
    request.authorize(rule, {"project_id": mapping.project_id})
    return mapping


def index(server_id: str) -> dict:
    """GET /servers/{id}/metadata"""
    mapping = _mapping(server_id, policies.METADATA_INDEX)
    return {"metadata": server_metadata.get(request.backends(), mapping)}


def create(server_id: str) -> dict:
    """POST /servers/{id}/metadata: merge the given items in."""
    new = request.body(schemas.METADATA, "metadata")
    mapping = _mapping(server_id, policies.METADATA_CREATE)
    return {"metadata": server_metadata.change(request.backends(), mapping,
                                               lambda current: {**current, **new})}


def update_all(server_id: str) -> dict:
    """PUT /servers/{id}/metadata: replace every item."""
    new = request.body(schemas.METADATA, "metadata")
    mapping = _mapping(server_id, policies.METADATA_UPDATE_ALL)
    return {"metadata": server_metadata.change(request.backends(), mapping,
                                               lambda _current: dict(new))}


def show(server_id: str, key: str) -> dict:
    """GET /servers/{id}/metadata/{key}"""
    mapping = _mapping(server_id, policies.METADATA_SHOW)
    current = server_metadata.get(request.backends(), mapping)
    if key not in current:
        raise errors.NotFound("Metadata item was not found")
    return {"meta": {key: current[key]}}


def update(server_id: str, key: str) -> dict:
    """PUT /servers/{id}/metadata/{key}: set one item."""
    item = request.body(schemas.META_ITEM, "meta")
    if key not in item:
        raise errors.BadRequest("Request body and URI mismatch")
    mapping = _mapping(server_id, policies.METADATA_UPDATE)
    server_metadata.change(request.backends(), mapping,
                           lambda current: {**current, key: item[key]})
    return {"meta": {key: item[key]}}


def delete(server_id: str, key: str) -> tuple[str, int]:
    """DELETE /servers/{id}/metadata/{key} (204)."""
    mapping = _mapping(server_id, policies.METADATA_DELETE)

    def without(current: dict[str, str]) -> dict[str, str]:
        if key not in current:
            raise errors.NotFound("Metadata item was not found")
        return {k: v for k, v in current.items() if k != key}

    server_metadata.change(request.backends(), mapping, without)
    return "", 204


def _tags_version() -> None:
    if not request.at_least("2.26"):
        raise errors.NotFound("The resource could not be found.")


def tags_index(server_id: str) -> dict:
    """GET /servers/{id}/tags"""
    _tags_version()
    mapping = _mapping(server_id, policies.TAGS_INDEX)
    return {"tags": server_metadata.tags(request.backends(), mapping)}


def tags_update_all(server_id: str) -> dict:
    """PUT /servers/{id}/tags"""
    _tags_version()
    document = request.raw_body()
    validation.validate(schemas.TAGS, document)
    mapping = _mapping(server_id, policies.TAGS_UPDATE_ALL)
    return {"tags": server_metadata.replace_tags(request.backends(), mapping,
                                                 document["tags"])}


def tags_delete_all(server_id: str) -> tuple[str, int]:
    """DELETE /servers/{id}/tags"""
    _tags_version()
    mapping = _mapping(server_id, policies.TAGS_DELETE_ALL)
    server_metadata.delete_tags(request.backends(), mapping)
    return "", 204


def tag_show(server_id: str, tag: str) -> tuple[str, int]:
    """GET /servers/{id}/tags/{tag}: 204 if the server carries it."""
    _tags_version()
    mapping = _mapping(server_id, policies.TAGS_SHOW)
    if not server_metadata.has_tag(request.backends(), mapping, tag):
        raise errors.NotFound(f"Tag {tag} not found on instance {server_id}")
    return "", 204


def tag_update(server_id: str, tag: str) -> tuple[str, int, dict[str, str]]:
    """PUT /servers/{id}/tags/{tag}: 201 if added, 204 if it was there."""
    _tags_version()
    validation.validate(schemas.TAG, tag)
    mapping = _mapping(server_id, policies.TAGS_UPDATE)
    added = server_metadata.add_tag(request.backends(), mapping, tag)
    location = links.self_href(request.base_url(), f"servers/{server_id}/tags", tag)
    return "", 201 if added else 204, {"Location": location}


def tag_delete(server_id: str, tag: str) -> tuple[str, int]:
    """DELETE /servers/{id}/tags/{tag}"""
    _tags_version()
    mapping = _mapping(server_id, policies.TAGS_DELETE)
    server_metadata.delete_tag(request.backends(), mapping, tag)
    return "", 204
