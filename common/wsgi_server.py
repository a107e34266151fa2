"""gunicorn run from code, for the HTTP services (cellar-api, cellar-image)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    """gunicorn serving the app ``factory`` builds, with ``options`` as its settings."""

    def __init__(self, factory: Callable[[], Any], options: dict[str, object]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Built in each worker after the fork, so no worker shares a pool or socket.
        return self.factory()


def bind_address(host: str, port: int) -> str:
    """gunicorn's ``bind`` for ``host`` (brackets around an IPv6 address) and ``port``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve_threaded(factory: Callable[[], Any], name: str, host: str, port: int,
                   workers: int, threads: int) -> None:
    """Serve until stopped: ``workers`` processes of ``threads`` threads each."""
    GunicornServer(factory, {
        "bind": bind_address(host, port),
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "proc_name": name,
        "accesslog": "-",
    }).run()
