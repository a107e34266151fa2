"""GET / and GET /v2.1: the version documents clients negotiate with."""

from __future__ import annotations

from api_cell.api import request
from api_cell.api.views import versions as view

# Nova answers the root with Multiple Choices: the client picks a major version.
MULTIPLE_CHOICES = 300


def index() -> tuple[dict, int]:
    """GET /"""
    return view.index(request.base_url()), MULTIPLE_CHOICES


def show() -> dict:
    """GET /v2.1"""
    return view.show(request.base_url())
