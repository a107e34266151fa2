"""What a handler reads from the current Flask request: caller, body, query, base URL.

``app.py`` fills ``flask.g`` before a handler runs; handlers use these helpers so
they never touch Flask's globals themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import flask

from api_cell.api import errors, microversions, validation
from api_cell.api.context import RequestContext
from api_cell.api.domain.backends import Backends
from api_cell.api.policies import Authorizer

EXTENSION = "cellar"

_TRUE = {"1", "t", "true", "on", "y", "yes"}
_FALSE = {"0", "f", "false", "off", "n", "no"}


def context() -> RequestContext:
    """The authenticated caller."""
    return flask.g.context


def backends() -> Backends:
    """The databases, caches and queues of this application."""
    return flask.current_app.extensions[EXTENSION]["backends"]


def authorize(rule: str, target: dict[str, object] | None = None) -> None:
    """Forbidden unless the caller may do ``rule`` on ``target``."""
    _authorizer().authorize(context(), rule, target)


def allowed(rule: str, target: dict[str, object] | None = None) -> bool:
    """Whether the caller may do ``rule`` on ``target``."""
    return _authorizer().allowed(context(), rule, target)


def _authorizer() -> Authorizer:
    return flask.current_app.extensions[EXTENSION]["authorizer"]


def auth_strategy() -> str:
    """``[api] auth_strategy`` of this application (noauth2 or keystone)."""
    return flask.current_app.extensions[EXTENSION]["auth_strategy"]


def base_url() -> str:
    """Where clients reach this API: ``[compute_api] public_endpoint`` or the request's."""
    configured = flask.current_app.extensions[EXTENSION]["public_endpoint"]
    return configured or flask.request.host_url


def service_endpoints() -> dict[str, str | None]:
    """The services the noauth2 identity stub lists besides itself and this API
    (``[catalog]``): service type -> public URL, None where unset."""
    return dict(flask.current_app.extensions[EXTENSION]["service_endpoints"])


def header(name: str) -> str | None:
    """A request header, or None."""
    return flask.request.headers.get(name)


def body(schema: dict[str, Any], key: str, int_fields: Iterable[str] = ()) -> dict[str, Any]:
    """The validated JSON body's ``key`` object (integer-looking strings made integers)."""
    document = validation.load_json(flask.request.get_data())
    if isinstance(document, dict) and isinstance(document.get(key), dict):
        validation.coerce_ints(document[key], int_fields)
    validation.validate(schema, document)
    return document[key]


def raw_body() -> Any:
    """The decoded JSON body, unvalidated (the action handler dispatches on its key)."""
    return validation.load_json(flask.request.get_data())


def query() -> dict[str, str]:
    """The query parameters, last value wins."""
    return flask.request.args.to_dict()


def int_param(name: str, minimum: int = 0, maximum: int | None = None) -> int | None:
    """An integer query parameter, or None; BadRequest if malformed, too small or
    (when ``maximum`` is given) too large."""
    text = flask.request.args.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError as error:
        raise errors.BadRequest(f"{name} param must be an integer") from error
    if value < minimum:
        raise errors.BadRequest(f"{name} param must be {'positive' if minimum else 'non-negative'}")
    if maximum is not None and value > maximum:
        raise errors.BadRequest(f"{name} param must be at most {maximum}")
    return value


def bool_param(name: str) -> bool | None:
    """A boolean query parameter; present without a value means true. None if absent."""
    text = flask.request.args.get(name)
    if text is None:
        return None
    if text == "" or text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise errors.BadRequest(f"Invalid value '{text}' for {name}: expected a boolean")


def version() -> microversions.Version:
    """The microversion this request negotiated."""
    return flask.g.get("version") or microversions.MIN_VERSION


def at_least(text: str) -> bool:
    """Whether the request's microversion is ``text`` or newer."""
    return version() >= microversions.parse(text)


def until(last: str, handler):
    """``handler`` for microversions up to ``last``; 404 from the next one on (an API
    Nova removed, such as the image proxy at 2.36)."""
    @functools.wraps(handler)
    def gated(*args, **kwargs):
        if version() > microversions.parse(last):
            raise errors.NotFound("The resource could not be found.")
        return handler(*args, **kwargs)

    # The OpenAPI document describes a route only at the versions that serve it.
    gated.served_until = last
    return gated
