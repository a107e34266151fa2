"""``cellar-placement``: serve the placement API with gunicorn."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg

from common import config, wsgi_server
from placement.app import create_app
from placement.objects import provider_index

LOG = logging.getLogger(__name__)


def gunicorn_options(conf: cfg.ConfigOpts) -> dict:
    """gunicorn settings from the [placement] options."""
    return {"bind": f"{conf.placement.bind_host}:{conf.placement.bind_port}",
            "workers": conf.placement.workers,
            # Keep-alive: a client (a scheduler) sends its next request on the same
            # connection, to the same worker, instead of connecting again. One thread
            # per worker: more would only contend for the GIL.
            "worker_class": "gthread",
            "threads": 1,
            "keepalive": 5,
            # Loading every provider into a worker's index takes seconds at 100,000
            # providers, more on a busy machine; the default 30 s would kill and
            # restart it mid-load.
            "timeout": 120,
            "post_worker_init": _index_loader(conf.placement_database.connection),
            "loglevel": "debug" if conf.debug else "info",
            "accesslog": "-"}


def _index_loader(url: str):
    """A gunicorn hook loading the worker's candidate index before it serves: every
    worker can then check new consumers' claims against it from its first request,
    not only those that served candidates first."""
    def load(_worker) -> None:
        index = provider_index.for_url(url)
        try:
            with index.lock:
                index.refresh()
        except Exception:  # noqa: BLE001 - the first candidates request loads it then
            LOG.warning("could not load the provider index at start", exc_info=True)
    return load


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the configuration and serve until stopped."""
    conf = config.load(sys.argv[1:] if argv is None else argv, "cellar-placement")
    logging.basicConfig(level=logging.DEBUG if conf.debug else logging.INFO)
    if not conf.placement_database.connection:
        sys.exit("cellar-placement: [placement_database] connection is not set")
    app = create_app(conf)
    wsgi_server.GunicornServer(lambda: app, gunicorn_options(conf)).run()

