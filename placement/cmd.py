"""``cellar-placement``: serve the placement API with gunicorn."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import flask
from gunicorn.app.base import BaseApplication
from oslo_config import cfg

from common import config
from placement.app import create_app


class _Server(BaseApplication):
    """gunicorn running one placement app, configured from oslo.config."""

    def __init__(self, app: flask.Flask, options: dict) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> flask.Flask:
        return self._app


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
    _Server(create_app(conf), gunicorn_options(conf)).run()

