"""The one route table of the image API."""

from __future__ import annotations

import flask

from api_cell.image.handlers import image_data, images, schemas, tags, versions

# (path, method, handler); the endpoint name is the handler's module.function.
ROUTES = [
    ("/", "GET", versions.multiple_choices),
    ("/versions", "GET", versions.index),
    ("/v2", "GET", versions.index),
    ("/v2/", "GET", versions.index),
    ("/v2/schemas/image", "GET", schemas.image),
    ("/v2/schemas/images", "GET", schemas.images),
    ("/v2/images", "GET", images.index),
    ("/v2/images", "POST", images.create),
    ("/v2/images/<image_id>", "GET", images.show),
    ("/v2/images/<image_id>", "PATCH", images.update),
    ("/v2/images/<image_id>", "DELETE", images.delete),
    ("/v2/images/<image_id>/file", "PUT", image_data.upload),
    ("/v2/images/<image_id>/file", "GET", image_data.download),
    ("/v2/images/<image_id>/tags/<path:tag>", "PUT", tags.add),
    ("/v2/images/<image_id>/tags/<path:tag>", "DELETE", tags.remove),
]

# Answered without a token: clients discover the API before they authenticate.
PUBLIC_ENDPOINTS = frozenset(f"{handler.__module__}.{handler.__name__}"
                             for path, _method, handler in ROUTES
                             if handler.__module__ == versions.__name__)


def register(app: flask.Flask) -> None:
    """Add every route of the table to ``app``."""
    for path, method, handler in ROUTES:
        app.add_url_rule(path, endpoint=f"{handler.__module__}.{handler.__name__}",
                         view_func=handler, methods=[method], strict_slashes=False)
