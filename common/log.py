"""Logging setup shared by every Cellar process."""

from __future__ import annotations

import logging
import sys

from common.context import RequestIdFilter

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"


def setup(service: str, debug: bool = False) -> None:
    """Log to stderr with the request id on every line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(FORMAT.replace("%(name)s", f"{service} %(name)s")))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for noisy in ("urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
