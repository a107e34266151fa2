"""``cellar-placement``: serve the placement API with gunicorn."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg

from common import config, wsgi_server
from placement.app import create_app


def gunicorn_options(conf: cfg.ConfigOpts) -> dict:
    """gunicorn settings from the [placement] options."""
    return {"bind": f"{conf.placement.bind_host}:{conf.placement.bind_port}",
            "workers": conf.placement.workers,
            # A worker's first candidates request loads every provider into its
            # index: seconds at 100,000 providers, more on a busy machine; the
            # default 30 s would kill and restart it mid-load.
            "timeout": 120,
            "loglevel": "debug" if conf.debug else "info",
            "accesslog": "-"}


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the configuration and serve until stopped."""
    conf = config.load(sys.argv[1:] if argv is None else argv, "cellar-placement")
    logging.basicConfig(level=logging.DEBUG if conf.debug else logging.INFO)
    if not conf.placement_database.connection:
        sys.exit("cellar-placement: [placement_database] connection is not set")
    app = create_app(conf)
    wsgi_server.GunicornServer(lambda: app, gunicorn_options(conf)).run()

