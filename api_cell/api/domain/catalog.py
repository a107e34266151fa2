"""Flavors and images: the global catalog servers are built from."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from api_cell.api import errors
from api_cell.api.context import RequestContext
from db import errors as db_errors
from db.api import flavors as db_flavors
from db.api import images as db_images


def list_flavors(api_url: str, is_public: bool | None, min_ram: int, min_disk: int,
                 limit: int, marker: str | None,
                 accessible_to: str | None = None) -> list[db_flavors.FlavorRecord]:
    """A page of flavors (with ``accessible_to``, also the private ones that project
    may use); BadRequest if the marker names none."""
    try:
        return db_flavors.list_page(api_url, is_public, min_ram, min_disk, limit, marker,
                                    accessible_to)
    except db_errors.NotFound as error:
        raise errors.BadRequest(f"marker [{marker}] not found") from error


def get_flavor(api_url: str, flavor_id: str) -> db_flavors.FlavorRecord:
    """One flavor by its API id; NotFound otherwise."""
    try:
        return db_flavors.get(api_url, flavor_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error


def get_visible_flavor(api_url: str, flavor_id: str,
                       context: RequestContext) -> db_flavors.FlavorRecord:
    """A flavor the caller may see: public, or private with access (admins see all)."""
    flavor = get_flavor(api_url, flavor_id)
    if not _usable(api_url, flavor, context):
        raise errors.NotFound(f"Flavor {flavor_id} could not be found.")
    return flavor


def check_usable(api_url: str, context: RequestContext, flavor_ref: str) -> None:
    """BadRequest if a server create names a private flavor the caller has no access
    to; an absent flavor is left for the create itself to report."""
    flavor_id = str(flavor_ref).rstrip("/").rsplit("/", 1)[-1]
    try:
        flavor = db_flavors.get(api_url, flavor_id)
    except db_errors.NotFound:
        return
    if not _usable(api_url, flavor, context):
        raise errors.BadRequest(f"Flavor {flavor_id} could not be found.")


def _usable(api_url: str, flavor: db_flavors.FlavorRecord, context: RequestContext) -> bool:
    return flavor.is_public or context.is_admin or db_flavors.has_access(
        api_url, flavor.flavorid, context.project_id)


def flavor_access(api_url: str, flavor_id: str) -> list[str]:
    """The projects with access to a private flavor; NotFound for a public one (2.7)."""
    if get_flavor(api_url, flavor_id).is_public:
        raise errors.NotFound("Access list not available for public flavors.")
    return db_flavors.access_list(api_url, flavor_id)


def add_flavor_access(api_url: str, flavor_id: str, project_id: str) -> list[str]:
    """Give a project access to a private flavor; Conflict if public or already given."""
    if get_flavor(api_url, flavor_id).is_public:
        raise errors.Conflict("Can not add access to a public flavor.")
    try:
        db_flavors.add_access(api_url, flavor_id, project_id)
    except db_errors.Duplicate as error:
        raise errors.Conflict(str(error)) from error
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error
    return db_flavors.access_list(api_url, flavor_id)


def remove_flavor_access(api_url: str, flavor_id: str, project_id: str) -> list[str]:
    """Take a project's access to a flavor away; NotFound if it had none."""
    try:
        db_flavors.remove_access(api_url, flavor_id, project_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error
    return db_flavors.access_list(api_url, flavor_id)


def create_flavor(api_url: str, fields: dict[str, Any]) -> db_flavors.FlavorRecord:
    """A new flavor from the validated body of POST /flavors; Conflict on a taken name/id."""
    try:
        return db_flavors.create(
            api_url, flavorid=fields.get("id") or str(uuidlib.uuid4()), name=fields["name"],
            memory_mb=fields["ram"], vcpus=fields["vcpus"], root_gb=fields["disk"],
            ephemeral_gb=fields.get("OS-FLV-EXT-DATA:ephemeral", 0),
            swap=fields.get("swap", 0), rxtx_factor=fields.get("rxtx_factor", 1.0),
            is_public=fields.get("os-flavor-access:is_public", True),
            description=fields.get("description"))
    except db_errors.Duplicate as error:
        raise errors.Conflict(str(error)) from error


def describe_flavor(api_url: str, flavor_id: str,
                    description: str | None) -> db_flavors.FlavorRecord:
    """Set a flavor's description (2.55); NotFound if there is no such flavor."""
    try:
        return db_flavors.set_description(api_url, flavor_id, description)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error


def extra_spec(api_url: str, flavor_id: str, key: str, context: RequestContext) -> str:
    """One extra spec of a flavor the caller may see; NotFound if the flavor or the
    key is absent."""
    specs = get_visible_flavor(api_url, flavor_id, context).extra_specs
    if key not in specs:
        raise errors.NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
    return specs[key]


def set_extra_specs(api_url: str, flavor_id: str, specs: dict[str, Any]) -> dict[str, str]:
    """Add or overwrite extra specs (numbers and booleans kept as their text)."""
    texts = {key: value if isinstance(value, str) else str(value)
             for key, value in specs.items()}
    try:
        db_flavors.set_extra_specs(api_url, flavor_id, texts)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error
    return texts


def delete_extra_spec(api_url: str, flavor_id: str, key: str) -> None:
    """Remove one extra spec; NotFound if the flavor or the key is absent."""
    try:
        db_flavors.delete_extra_spec(api_url, flavor_id, key)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error


def delete_flavor(api_url: str, flavor_id: str) -> None:
    """Remove a flavor; NotFound if there is none."""
    try:
        db_flavors.delete(api_url, flavor_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error


def list_images(api_url: str, limit: int, marker: str | None) -> list[db_images.ImageRecord]:
    """A page of images, newest first; BadRequest if the marker names none."""
    try:
        return db_images.list_page(api_url, limit, marker)
    except db_errors.NotFound as error:
        raise errors.BadRequest(f"marker [{marker}] not found") from error


def get_image(api_url: str, image_id: str) -> db_images.ImageRecord:
    """One image; NotFound otherwise."""
    try:
        return db_images.get(api_url, image_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error


def create_image(api_url: str, fields: dict[str, Any]) -> db_images.ImageRecord:
    """A new, bootable image from the validated body of POST /images."""
    try:
        return db_images.create(api_url, name=fields.get("name"),
                                min_disk=fields.get("minDisk", 0),
                                min_ram=fields.get("minRam", 0),
                                properties=fields.get("metadata", {}),
                                image_uuid=fields.get("id"))
    except db_errors.Duplicate as error:
        raise errors.Conflict(str(error)) from error


def delete_image(api_url: str, image_id: str) -> None:
    """Remove an image; NotFound if there is none."""
    try:
        db_images.delete(api_url, image_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error
