"""cellar-api: the compute API under gunicorn."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from api_cell import conf as _api_conf  # noqa: F401  (registers [compute_api])
from api_cell.api.app import create_app
from common import config, log, wsgi_server


def main(argv: Sequence[str] | None = None) -> None:
    """Load the configuration and serve the API until stopped."""
    conf = config.load(sys.argv[1:] if argv is None else argv, "cellar-api")
    log.setup("cellar-api", conf.debug)
    api = conf.compute_api
    wsgi_server.serve_threaded(lambda: create_app(conf), "cellar-api", api.bind_host,
                               api.bind_port, api.workers, api.threads)
