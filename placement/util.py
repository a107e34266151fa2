"""Helpers every handler shares: JSON bodies, query strings, responses."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import fastjsonschema
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


@dataclasses.dataclass(frozen=True)
class _Validators:
    """Two validators of one schema: ``fast`` (compiled to Python by fastjsonschema,
    some 20 times quicker) says yes or no; ``checked`` (jsonschema) decides when
    ``fast`` says no, and words the error as upstream Placement does."""

    checked: Any
    fast: Callable[[Any], Any]


_VALIDATORS: dict[str, _Validators] = {}
# The same schema objects come back (schemas.py builders are memoised): find their
# validators by identity, without serialising the schema. Values keep the schema
# alive, so an id cannot be reused while it is here.
_BY_ID: dict[int, tuple[dict, _Validators]] = {}


def _validators(schema: dict) -> _Validators:
    """The validators of ``schema`` (checked once), built once per distinct schema."""
    known = _BY_ID.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    key = json.dumps(schema, sort_keys=True)
    validators = _VALIDATORS.get(key)
    if validators is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validators = _VALIDATORS[key] = _Validators(
            cls(schema), fastjsonschema.compile(schema, use_default=False))
    if len(_BY_ID) > 512:
        _BY_ID.clear()
    _BY_ID[id(schema)] = (schema, validators)
    return validators


def _error(data: Any, schema: dict) -> str | None:
    """Why ``data`` does not match ``schema``, or None when it does.

    A body the fast validator accepts is valid; one it refuses is judged again by
    jsonschema, whose verdict stands (the fast one is stricter in places: formats).
    """
    validators = _validators(schema)
    try:
        validators.fast(data)
        return None
    except fastjsonschema.JsonSchemaValueException:
        pass
    error = jsonschema.exceptions.best_match(validators.checked.iter_errors(data))
    return None if error is None else error.message


def validate(data: Any, schema: dict) -> None:
    """Raise BadRequest unless ``data`` matches the JSON ``schema``."""
    error = _error(data, schema)
    if error is not None:
        raise errors.BadRequest(f"JSON does not validate: {error}")


def query_params(schema: dict | None = None) -> dict[str, list[str]]:
    """Every query parameter with its values in order, checked against ``schema``.

    The schema sees single values as strings and repeated ones as lists, so a
    schema decides which parameters may repeat.
    """
    params = {key: flask.request.args.getlist(key) for key in flask.request.args}
    if schema is not None:
        error = _error({k: v[0] if len(v) == 1 else v for k, v in params.items()}, schema)
        if error is not None:
            raise errors.BadRequest(f"Invalid query string parameters: {error}")
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
