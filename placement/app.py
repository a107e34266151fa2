"""The placement WSGI application."""

from __future__ import annotations

import datetime
import email.utils
import logging
import re

import flask
from oslo_config import cfg
from werkzeug import exceptions as wz_exceptions

from common import auth
from common import context as common_context
from placement import conf as placement_conf
from placement import errors, microversion, routes
from placement.context import RequestContext
from placement.objects.base import retry_when_deadlocked
from placement.policy import Policy

LOG = logging.getLogger(__name__)
_REQUEST_ID_RE = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PUBLIC_PATHS = frozenset({"/"})


def create_app(conf: cfg.ConfigOpts | None = None) -> flask.Flask:
    """Build the placement app for ``conf`` (the global CONF by default)."""
    conf = conf if conf is not None else placement_conf.common_config.CONF
    app = flask.Flask("placement")
    app.config["PLACEMENT_CONF"] = conf
    app.config["PLACEMENT_POLICY"] = Policy(conf)
    for route in routes.ROUTES:
        app.add_url_rule(route.path, endpoint=f"{route.method} {route.path}",
                         view_func=_view(route), methods=[route.method],
                         provide_automatic_options=False)
    app.before_request(_start_request)
    app.after_request(_finish_response)
    app.register_error_handler(errors.PlacementError, _placement_error)
    app.register_error_handler(wz_exceptions.HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.wsgi_app = auth.wrap(app.wsgi_app, conf)
    return app


def _view(route: routes.Route):
    def view(**kwargs):
        ctx: RequestContext = flask.g.ctx
        if ctx.version < route.min_version:
            # Like upstream: a route newer than the requested version does not exist.
            raise errors.NotFound("The resource could not be found.")
        return retry_when_deadlocked(lambda: route.handler(ctx, **kwargs))
    view.__name__ = route.handler.__name__
    return view


def _start_request() -> None:
    incoming = flask.request.headers.get("X-Openstack-Request-Id", "")
    flask.g.request_id = (incoming if _REQUEST_ID_RE.match(incoming)
                          else common_context.new_request_id())
    environ = flask.request.environ
    caller = auth.identity(environ)
    if caller is None and flask.request.path not in _PUBLIC_PATHS:
        raise errors.Unauthorized("The request you have made requires authentication.")
    # The only header the version comes from (no legacy ones): no copy of them all.
    wanted = environ.get("HTTP_OPENSTACK_API_VERSION")
    version = microversion.from_headers(
        {} if wanted is None else {"openstack-api-version": wanted})
    conf = flask.current_app.config["PLACEMENT_CONF"]
    flask.g.ctx = RequestContext(
        request_id=flask.g.request_id, user_id=caller.user_id if caller else None,
        project_id=caller.project_id if caller else None,
        roles=list(caller.roles) if caller else [], version=version,
        db_url=conf.placement_database.connection,
        policy=flask.current_app.config["PLACEMENT_POLICY"],
        retries=conf.placement.allocation_conflict_retry_count)


def _finish_response(response: flask.Response) -> flask.Response:
    response.headers["x-openstack-request-id"] = flask.g.get("request_id", "")
    ctx: RequestContext | None = flask.g.get("ctx")
    if ctx is None:
        return response
    response.headers[microversion.HEADER] = f"{microversion.SERVICE_TYPE} {ctx.version}"
    response.headers["Vary"] = microversion.HEADER
    if ctx.at_least(15) and flask.request.method == "GET" and response.status_code == 200 \
            and flask.request.path not in _PUBLIC_PATHS:
        modified = ctx.last_modified or datetime.datetime.now(datetime.UTC)
        response.headers["Last-Modified"] = email.utils.format_datetime(
            modified.replace(tzinfo=datetime.UTC), usegmt=True)
        response.headers["Cache-Control"] = "no-cache"
    return response


def _error_response(status: int, title: str, detail: str, code: str) -> flask.Response:
    body = {"errors": [{"status": status, "title": title, "detail": detail, "code": code,
                        "request_id": flask.g.get("request_id")}]}
    response = flask.jsonify(body)
    response.status_code = status
    return response


def _placement_error(exc: errors.PlacementError) -> flask.Response:
    response = _error_response(exc.status, exc.title, exc.detail, exc.code)
    if isinstance(exc, errors.MethodNotAllowed):
        response.headers["Allow"] = ", ".join(exc.allowed)
    return response


def _http_error(exc: wz_exceptions.HTTPException) -> flask.Response:
    code = exc.code or 500
    response = _error_response(code, exc.name, exc.description or exc.name,
                               "placement.undefined_code")
    if isinstance(exc, wz_exceptions.MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


def _unexpected_error(exc: Exception) -> flask.Response:
    LOG.exception("unexpected error in %s %s", flask.request.method, flask.request.path)
    return _error_response(500, "Internal Server Error",
                           "An unexpected error occurred.", "placement.undefined_code")
