"""Server metadata and tags, kept in the server's cell DB.

Metadata changes run in one transaction that locks the instance row (see
``db.cell.metadata``), so racing writers never lose each other's keys.
"""

from __future__ import annotations

from collections.abc import Callable

from api_cell.api import errors
from api_cell.api.domain import quotas, servers
from api_cell.api.domain.backends import Backends
from db import errors as db_errors
from db.api.cells import Cell
from db.api.instances import Mapping
from db.cell import metadata as cell_metadata
from db.cell import tags as cell_tags

MAX_TAGS = 50


def _cell(backends: Backends, mapping: Mapping, what: str) -> Cell:
    if mapping.cell_id is None:
        mapping = servers.refreshed(backends, mapping)
    if mapping.cell_id is None:
        raise errors.Conflict(f"Cannot '{what}' instance {mapping.instance_uuid} while it "
                              "is in vm_state building")
    return servers.cell_of(backends, mapping)


def _gone(mapping: Mapping) -> errors.NotFound:
    return errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")


def get(backends: Backends, mapping: Mapping) -> dict[str, str]:
    cell = _cell(backends, mapping, "get metadata")
    try:
        return backends.in_cell(cell, cell_metadata.get, mapping.instance_uuid)
    except db_errors.NotFound as error:
        raise _gone(mapping) from error


def change(backends: Backends, mapping: Mapping,
           compute: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
    """Apply ``compute`` to the current metadata atomically; quota checked inside."""
    cell = _cell(backends, mapping, "update metadata")
    limit = quotas.limit_of(backends, mapping.project_id, "metadata_items")

    def checked(current: dict[str, str]) -> dict[str, str]:
        result = compute(current)
        if limit is not None and len(result) > limit:
            raise errors.Forbidden(f"Quota exceeded for metadata_items: Requested "
                                   f"{len(result)}, but the limit is {limit}")
        return result

    try:
        return backends.write_in_cell(cell, cell_metadata.change, mapping.instance_uuid,
                                      checked)
    except db_errors.NotFound as error:
        raise _gone(mapping) from error


def tags(backends: Backends, mapping: Mapping) -> list[str]:
    cell = _cell(backends, mapping, "get tags")
    servers.show(backends, mapping)  # 404 for a deleted server
    return backends.in_cell(cell, cell_tags.get_all, mapping.instance_uuid)


def tags_of(backends: Backends, cell: Cell, uuids: list[str]) -> dict[str, list[str]]:
    return backends.in_cell(cell, cell_tags.get_many, uuids)


def replace_tags(backends: Backends, mapping: Mapping, new: list[str]) -> list[str]:
    if len(set(new)) > MAX_TAGS:
        raise errors.BadRequest(f"The number of tags exceeded the per-server limit "
                                f"{MAX_TAGS}")
    cell = _cell(backends, mapping, "update tags")
    try:
        return backends.write_in_cell(cell, cell_tags.replace, mapping.instance_uuid, new)
    except db_errors.NotFound as error:
        raise _gone(mapping) from error


def add_tag(backends: Backends, mapping: Mapping, tag: str) -> bool:
    cell = _cell(backends, mapping, "update tags")
    try:
        return backends.write_in_cell(cell, cell_tags.add, mapping.instance_uuid, tag,
                                      MAX_TAGS)
    except db_errors.Conflict as error:
        raise errors.BadRequest(f"The number of tags exceeded the per-server limit "
                                f"{MAX_TAGS}") from error
    except db_errors.NotFound as error:
        raise _gone(mapping) from error


def has_tag(backends: Backends, mapping: Mapping, tag: str) -> bool:
    cell = _cell(backends, mapping, "get tags")
    return backends.in_cell(cell, cell_tags.has, mapping.instance_uuid, tag)


def delete_tag(backends: Backends, mapping: Mapping, tag: str) -> None:
    cell = _cell(backends, mapping, "update tags")
    try:
        backends.write_in_cell(cell, cell_tags.delete, mapping.instance_uuid, tag)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Tag {tag} not found on instance "
                              f"{mapping.instance_uuid}") from error


def delete_tags(backends: Backends, mapping: Mapping) -> None:
    cell = _cell(backends, mapping, "update tags")
    try:
        backends.write_in_cell(cell, cell_tags.delete_all, mapping.instance_uuid)
    except db_errors.NotFound as error:
        raise _gone(mapping) from error
