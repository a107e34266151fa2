"""The Flask application of the compute API: hooks, error mapping, wiring."""

from __future__ import annotations

import concurrent.futures
import logging

import flask
from oslo_config import cfg
from werkzeug import exceptions as http_exceptions

from api_cell import cell_health
from api_cell import conf as _api_conf  # noqa: F401  (registers [compute_api], [catalog])
from api_cell.api import (
    context,
    errors,
    microversions,
    openapi,
    project_urls,
    request,
    routes,
)
from api_cell.api.domain import networks
from api_cell.api.domain.backends import Backends
from api_cell.api.policies import Authorizer
from common import auth, flask_request_ids, placement_client
from common.config import CONF
from protos import rpc
from protos.compute_client import AgentClient

LOG = logging.getLogger(__name__)

REQUEST_ID_HEADERS = ("x-openstack-request-id", "x-compute-request-id")
# Threads reading cell DBs for one process; a cell that hangs holds one per request
# until its driver gives up, so leave room for several.
CELL_READ_THREADS = 32


def create_app(conf: cfg.ConfigOpts = CONF) -> flask.Flask:
    """Build the compute API from ``conf`` (which must name the API DB).

    The WSGI app sits behind the authentication middleware of ``[api] auth_strategy``.
    """
    if not conf.api_database.connection:
        raise RuntimeError("[api_database] connection is not set")
    app = flask.Flask(__name__)
    app.extensions[request.EXTENSION] = {
        "backends": _backends(conf),
        "authorizer": Authorizer(conf),
        "public_endpoint": conf.compute_api.public_endpoint,
        "auth_strategy": conf.api.auth_strategy,
        # The catalog of the noauth2 identity stub's tokens (handlers/identity.py).
        "service_endpoints": {"placement": conf.catalog.placement_endpoint,
                              "image": conf.catalog.image_endpoint},
        # The generator reads the route table, so the table's handler cannot import it.
        "openapi": openapi.document,
    }
    routes.register(app)
    app.before_request(flask_request_ids.open_scope)
    app.before_request(_negotiate)
    app.before_request(_authenticate)
    app.after_request(_stamp)
    app.teardown_request(flask_request_ids.close_scope)
    app.register_error_handler(errors.APIError, _api_error)
    app.register_error_handler(http_exceptions.HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.wsgi_app = auth.wrap(
        project_urls.ProjectScopedURLs(app.wsgi_app, routes.V, routes.collections()), conf)
    return app


def _backends(conf: cfg.ConfigOpts) -> Backends:
    api_url = conf.api_database.connection
    return Backends(api_url=api_url, cells=cell_health.cells_from_conf(conf),
                    health=cell_health.health_from_conf(conf), redis_url=conf.redis.url,
                    key_prefix=conf.redis.key_prefix,
                    cell_timeout=conf.compute_api.cell_timeout,
                    max_limit=conf.compute_api.max_limit,
                    network=networks.from_conf(conf),
                    default_zone=conf.compute_api.default_availability_zone,
                    pool=concurrent.futures.ThreadPoolExecutor(
                        CELL_READ_THREADS, thread_name_prefix="cell-read"),
                    placement=placement_client.from_conf(conf),
                    agents=AgentClient(conf.compute_api_agents.timeout, rpc.TLSFiles.from_options(
                        conf.compute_api_agents.tls_cert_file,
                        conf.compute_api_agents.tls_key_file,
                        conf.compute_api_agents.tls_ca_file)))


def _negotiate() -> None:
    if flask.request.path.startswith(f"{routes.V}/") or flask.request.path == routes.V:
        flask.g.version = microversions.negotiate(flask.request.headers)


def _authenticate() -> None:
    if flask.request.endpoint in routes.PUBLIC_ENDPOINTS:
        return
    flask.g.context = context.from_environ(flask.request.environ, flask.g.request_id)
    url_project = flask.request.environ.get(project_urls.URL_PROJECT_KEY)
    if url_project is not None and url_project != flask.g.context.project_id:
        raise errors.BadRequest(f"Malformed request URL: URL's project_id '{url_project}' "
                                "doesn't match Context's project_id "
                                f"'{flask.g.context.project_id}'")


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
