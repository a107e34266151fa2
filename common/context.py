"""The request id that follows one piece of work across every process it touches."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import uuid
from collections.abc import Iterator

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    """A request id in the OpenStack form ``req-<uuid>``."""
    return f"req-{uuid.uuid4()}"


def current_request_id() -> str:
    """The request id of the work this thread is doing, or '-'."""
    return _request_id.get()


@contextlib.contextmanager
def request_scope(request_id: str | None) -> Iterator[str]:
    """Run a block as part of ``request_id`` (a new one if None or empty)."""
    token = _request_id.set(request_id or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True
