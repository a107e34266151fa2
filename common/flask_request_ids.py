"""Request ids for the Flask apps of the global tier (cellar-api, cellar-image)."""

from __future__ import annotations

import flask

from common import context


def open_scope() -> None:
    """before_request hook: every log line of this request, here and in the threads it
    hands work to, carries its id (``flask.g.request_id``)."""
    flask.g.request_scope = context.request_scope(None)
    flask.g.request_id = flask.g.request_scope.__enter__()


def close_scope(_error: BaseException | None) -> None:
    """teardown_request hook closing what ``open_scope`` opened."""
    scope = flask.g.pop("request_scope", None)
    if scope is not None:
        scope.__exit__(None, None, None)
