"""/, /versions and /v2: the version document."""

from __future__ import annotations

import flask

from api_cell.image import views


def multiple_choices() -> tuple[dict, int]:
    """GET /: the versions, as 300 Multiple Choices (as Glance answers it)."""
    return views.versions(flask.request.host_url), 300


def index() -> dict:
    """GET /versions and /v2"""
    return views.versions(flask.request.host_url)
