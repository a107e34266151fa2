"""/v2/schemas/*: the JSON Schemas of images."""

from __future__ import annotations

from api_cell.image import schemas


def image() -> dict:
    """GET /v2/schemas/image"""
    return schemas.IMAGE


def images() -> dict:
    """GET /v2/schemas/images"""
    return schemas.IMAGES
