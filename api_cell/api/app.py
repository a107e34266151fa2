"""The Flask application of the compute API: hooks, error mapping, wiring."""

from __future__ import annotations

import concurrent.futures
import logging

import flask
from oslo_config import cfg
from werkzeug import exceptions as http_exceptions

from api_cell import conf as _api_conf  # noqa: F401  (registers [compute_api])
from api_cell.api import context, errors, microversions, request, routes
from api_cell.api.domain.backends import Backends
from api_cell.api.policies import Authorizer
from common import context as request_ids
from common.config import CONF
from common.placement_client import PlacementClient
from db.api.cells import CellCache

LOG = logging.getLogger(__name__)

REQUEST_ID_HEADERS = ("x-openstack-request-id", "x-compute-request-id")
# Threads reading cell DBs for one process; a cell that hangs holds one per request
# until its driver gives up, so leave room for several.
CELL_READ_THREADS = 32


def create_app(conf: cfg.ConfigOpts = CONF) -> flask.Flask:
    """Build the compute API from ``conf`` (which must name the API DB)."""
    if conf.api.auth_strategy != "noauth2":
        raise RuntimeError("cellar-api supports only [api] auth_strategy = noauth2 so far")
    if not conf.api_database.connection:
        raise RuntimeError("[api_database] connection is not set")
    app = flask.Flask(__name__)
    app.extensions[request.EXTENSION] = {
        "backends": _backends(conf),
        "authorizer": Authorizer(conf),
        "public_endpoint": conf.compute_api.public_endpoint,
    }
    routes.register(app)
    app.before_request(_begin)
    app.before_request(_negotiate)
    app.before_request(_authenticate)
    app.after_request(_stamp)
    app.teardown_request(_end)
    app.register_error_handler(errors.APIError, _api_error)
    app.register_error_handler(http_exceptions.HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _backends(conf: cfg.ConfigOpts) -> Backends:
    api_url = conf.api_database.connection
    return Backends(api_url=api_url, cells=CellCache(api_url), redis_url=conf.redis.url,
                    key_prefix=conf.redis.key_prefix,
                    cell_timeout=conf.compute_api.cell_timeout,
                    max_limit=conf.compute_api.max_limit,
                    pool=concurrent.futures.ThreadPoolExecutor(
                        CELL_READ_THREADS, thread_name_prefix="cell-read"),
                    placement=PlacementClient(conf.placement_client.endpoint,
                                              conf.placement_client.token,
                                              conf.placement_client.timeout))


def _begin() -> None:
    # Every log line of this request, here and in its thread, carries its id.
    flask.g.request_scope = request_ids.request_scope(None)
    flask.g.request_id = flask.g.request_scope.__enter__()


def _end(_error: BaseException | None) -> None:
    scope = flask.g.pop("request_scope", None)
    if scope is not None:
        scope.__exit__(None, None, None)


def _negotiate() -> None:
    if flask.request.path.startswith(f"{routes.V}/") or flask.request.path == routes.V:
        flask.g.version = microversions.negotiate(flask.request.headers)


def _authenticate() -> None:
    if flask.request.endpoint in routes.PUBLIC_ENDPOINTS:
        return
    flask.g.context = context.from_noauth2(flask.request.headers, flask.g.request_id)


def _stamp(response: flask.Response) -> flask.Response:
    request_id = flask.g.get("request_id")
    if request_id:
        for header in REQUEST_ID_HEADERS:
            response.headers[header] = request_id
    version = flask.g.get("version")
    if version is not None:
        response.headers.update(microversions.response_headers(version))
    return response


def _api_error(error: errors.APIError) -> tuple[dict, int]:
    if error.code >= 500:
        LOG.warning("%s %s: %s", flask.request.method, flask.request.path, error.message)
    return error.body(), error.code


def _http_error(error: http_exceptions.HTTPException) -> tuple[dict, int]:
    # Routing errors from werkzeug (unknown path, wrong method) in Nova's shape.
    mapped = {404: errors.NotFound("The resource could not be found."),
              405: errors.MethodNotAllowed("The method is not allowed for this resource.")}
    fault = mapped.get(error.code) or errors.APIError(error.description or "",
                                                      code=error.code or 500)
    return fault.body(), fault.code


def _unexpected(error: Exception) -> tuple[dict, int]:
    LOG.exception("unexpected error in %s %s", flask.request.method, flask.request.path)
    fault = errors.APIError("Unexpected API Error. The request id in the response headers "
                            "finds the details in the API log.")
    return fault.body(), fault.code
