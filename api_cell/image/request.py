"""What handlers read from the current Flask request: backends, caller, body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import flask

from api_cell.api.context import RequestContext
from api_cell.image import errors
from api_cell.image.domain import ImageBackends

EXTENSION = "cellar_image"
READ_SIZE = 64 * 1024


def backends() -> ImageBackends:
    """The application's backends."""
    return flask.current_app.extensions[EXTENSION]


def context() -> RequestContext:
    """The caller (set by the app before the handler runs)."""
    return flask.g.context


def json_body() -> Any:
    """The decoded JSON body; BadRequest if it is missing or not JSON."""
    try:
        return json.loads(flask.request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.BadRequest("Malformed JSON in request body.") from error


def media_type() -> str:
    """The request's Content-Type without parameters, lower case."""
    return (flask.request.mimetype or "").lower()


def body_chunks() -> Iterator[bytes]:
    """The request body, read as it arrives, never whole."""
    stream = flask.request.stream
    while chunk := stream.read(READ_SIZE):
        yield chunk


def query_items() -> list[tuple[str, str]]:
    """The query string's pairs, in order."""
    return list(flask.request.args.items(multi=True))
