"""cellar-api: the compute API under gunicorn."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import flask
from gunicorn.app.base import BaseApplication

from api_cell import conf as _api_conf  # noqa: F401  (registers [compute_api])
from api_cell.api.app import create_app
from common import config, log


class _Gunicorn(BaseApplication):
    """gunicorn run from code, with options from the Cellar config file."""

    def __init__(self, conf, options: dict[str, object]) -> None:
        self.conf = conf
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> flask.Flask:
        # Built in each worker after the fork, so no worker shares a pool or socket.
        return create_app(self.conf)


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def main(argv: Sequence[str] | None = None) -> None:
    """Load the configuration and serve the API until stopped."""
    conf = config.load(sys.argv[1:] if argv is None else argv, "cellar-api")
    log.setup("cellar-api", conf.debug)
    api = conf.compute_api
    _Gunicorn(conf, {
        "bind": _bind(api.bind_host, api.bind_port),
        "workers": api.workers,
        "threads": api.threads,
        "worker_class": "gthread",
        "proc_name": "cellar-api",
        "accesslog": "-",
    }).run()
