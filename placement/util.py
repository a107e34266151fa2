"""Helpers every handler shares: JSON bodies, query strings, responses."""

from __future__ import annotations

import json
from typing import Any

import flask
import jsonschema

from placement import errors


def _reject_constant(name: str) -> None:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
    raise ValueError(f"invalid JSON constant {name}")


def json_body(schema: dict) -> Any:
    """The request's JSON body, checked against ``schema``."""
    request = flask.request
    if request.mimetype != "application/json":
        raise errors.UnsupportedMediaType(
            f"The media type {request.mimetype or None} is not supported, "
            "use application/json")
    try:
        data = json.loads(request.get_data(as_text=True), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest(f"Malformed JSON: {exc}") from None
    validate(data, schema)
    return data


def validate(data: Any, schema: dict) -> None:
    """Raise BadRequest unless ``data`` matches the JSON ``schema``."""
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        raise errors.BadRequest(f"JSON does not validate: {exc.message}") from None


def query_params(schema: dict | None = None) -> dict[str, list[str]]:
    """Every query parameter with its values in order, checked against ``schema``.

    The schema sees single values as strings and repeated ones as lists, so a
    schema decides which parameters may repeat.
    """
    params = {key: flask.request.args.getlist(key) for key in flask.request.args}
    if schema is not None:
        flat = {k: v[0] if len(v) == 1 else v for k, v in params.items()}
        try:
            jsonschema.validate(flat, schema)
        except jsonschema.ValidationError as exc:
            raise errors.BadRequest(f"Invalid query string parameters: {exc.message}") \
                from None
    return params


def single(params: dict[str, list[str]], key: str) -> str | None:
    """The one value of ``key``, or None."""
    values = params.get(key)
    return values[0] if values else None


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> flask.Response:
    """A JSON response."""
    response = flask.Response(json.dumps(body), status=status, mimetype="application/json",
                              headers=headers)
    return response


def no_content() -> flask.Response:
    """An empty 204 response."""
    return flask.Response(status=204)
