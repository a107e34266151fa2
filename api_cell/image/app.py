"""The Flask application of the image service: wiring, authentication, error mapping."""

from __future__ import annotations

import logging

import flask
from oslo_config import cfg
from werkzeug import exceptions as http_exceptions

from api_cell import conf as _api_conf  # noqa: F401  (registers [image])
from api_cell.api.context import RequestContext
from api_cell.image import errors, policies, request, routes
from api_cell.image.domain import ImageBackends
from api_cell.image.store import ImageStore
from common import auth, flask_request_ids
from common.config import CONF

LOG = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-openstack-request-id"


def create_app(conf: cfg.ConfigOpts = CONF) -> flask.Flask:
    """Build the image API from ``conf`` (which must name the API DB).

    The WSGI app sits behind the authentication middleware of ``[api] auth_strategy``.
    """
    if not conf.api_database.connection:
        raise RuntimeError("[api_database] connection is not set")
    app = flask.Flask(__name__)
    app.json.sort_keys = False
    app.extensions[request.EXTENSION] = ImageBackends(
        api_url=conf.api_database.connection, store=ImageStore(conf.image.store_dir),
        authorizer=policies.Authorizer(conf), max_image_size=conf.image.max_image_size,
        max_limit=conf.image.max_limit)
    routes.register(app)
    app.before_request(flask_request_ids.open_scope)
    app.before_request(_authenticate)
    app.after_request(_stamp)
    app.teardown_request(flask_request_ids.close_scope)
    app.register_error_handler(errors.ImageAPIError, _api_error)
    app.register_error_handler(http_exceptions.HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.wsgi_app = auth.wrap(app.wsgi_app, conf)
    return app


def _authenticate() -> None:
    if flask.request.endpoint in routes.PUBLIC_ENDPOINTS or flask.request.endpoint is None:
        return
    caller = auth.identity(flask.request.environ)
    if caller is None:
        raise errors.Unauthorized("This server could not verify that you are authorized "
                                  "to access the document you requested.")
    flask.g.context = RequestContext(caller.user_id, caller.project_id, caller.roles,
                                     flask.g.request_id)


def _stamp(response: flask.Response) -> flask.Response:
    request_id = flask.g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _api_error(error: errors.ImageAPIError) -> tuple[dict, int]:
    if error.code >= 500:
        LOG.warning("%s %s: %s", flask.request.method, flask.request.path, error.message)
    return error.body(), error.code


def _http_error(error: http_exceptions.HTTPException) -> tuple[dict, int]:
    # Werkzeug's own (unknown path, wrong method, client gone mid-body) in our shape.
    mapped = {404: errors.NotFound("The resource could not be found."),
              405: errors.MethodNotAllowed("The method is not allowed for this resource.")}
    fault = mapped.get(error.code or 0) or errors.ImageAPIError(
        error.description or "", code=error.code or 500, title=error.name)
    return fault.body(), fault.code


def _unexpected(error: Exception) -> tuple[dict, int]:
    LOG.exception("unexpected error in %s %s", flask.request.method, flask.request.path)
    fault = errors.ImageAPIError("Unexpected error. The request id in the response headers "
                                 "finds the details in the image service log.")
    return fault.body(), fault.code
