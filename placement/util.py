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


_VALIDATORS: dict[str, Any] = {}
# The same schema objects come back (schemas.py builders are memoised): find their
# validator by identity, without serialising the schema. Values keep the schema
# alive, so an id cannot be reused while it is here.
_BY_ID: dict[int, tuple[dict, Any]] = {}


def _validator(schema: dict) -> Any:
    """A checked validator for ``schema``, built once per distinct schema."""
    known = _BY_ID.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    key = json.dumps(schema, sort_keys=True)
    validator = _VALIDATORS.get(key)
    if validator is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _VALIDATORS[key] = cls(schema)
    if len(_BY_ID) > 512:
        _BY_ID.clear()
    _BY_ID[id(schema)] = (schema, validator)
    return validator


def validate(data: Any, schema: dict) -> None:
    """Raise BadRequest unless ``data`` matches the JSON ``schema``."""
    try:
        error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(data))
        if error is not None:
            raise error
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
