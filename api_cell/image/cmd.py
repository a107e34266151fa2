"""cellar-image: the image service under gunicorn."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from api_cell import conf as _api_conf  # noqa: F401  (registers [image])
from api_cell.image.app import create_app
from common import config, log, wsgi_server


def main(argv: Sequence[str] | None = None) -> None:
    """Load the configuration and serve the image API until stopped."""
    conf = config.load(sys.argv[1:] if argv is None else argv, "cellar-image")
    log.setup("cellar-image", conf.debug)
    image = conf.image
    wsgi_server.serve_threaded(lambda: create_app(conf), "cellar-image", image.bind_host,
                               image.bind_port, image.workers, image.threads)
