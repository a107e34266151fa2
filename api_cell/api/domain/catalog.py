"""Flavors and images: the global catalog servers are built from."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from api_cell.api import errors
from db import errors as db_errors
from db.api import flavors as db_flavors
from db.api import images as db_images


def list_flavors(api_url: str, is_public: bool | None, min_ram: int, min_disk: int,
                 limit: int, marker: str | None) -> list[db_flavors.FlavorRecord]:
    """A page of flavors; BadRequest if the marker names none."""
    try:
        return db_flavors.list_page(api_url, is_public, min_ram, min_disk, limit, marker)
    except db_errors.NotFound as error:
        raise errors.BadRequest(f"marker [{marker}] not found") from error


def get_flavor(api_url: str, flavor_id: str) -> db_flavors.FlavorRecord:
    """One flavor by its API id; NotFound otherwise."""
    try:
        return db_flavors.get(api_url, flavor_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(str(error)) from error


def create_flavor(api_url: str, fields: dict[str, Any]) -> db_flavors.FlavorRecord:
    """A new flavor from the validated body of POST /flavors; Conflict on a taken name/id."""
    try:
        return db_flavors.create(
            api_url, flavorid=fields.get("id") or str(uuidlib.uuid4()), name=fields["name"],
            memory_mb=fields["ram"], vcpus=fields["vcpus"], root_gb=fields["disk"],
            ephemeral_gb=fields.get("OS-FLV-EXT-DATA:ephemeral", 0),
            swap=fields.get("swap", 0), rxtx_factor=fields.get("rxtx_factor", 1.0),
            is_public=fields.get("os-flavor-access:is_public", True))
    except db_errors.Duplicate as error:
        raise errors.Conflict(str(error)) from error


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
