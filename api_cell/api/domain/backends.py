"""The databases, caches and queues one API process talks to, and safe calls to cells."""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from sqlalchemy import exc as sa_exc

from api_cell.api import errors
from common import redis_client, tasks
from common.placement_client import PlacementClient
from db.api.cells import Cell, CellCache

T = TypeVar("T")

# What a cell that is down or unreachable raises from its database driver.
CELL_DOWN_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError,
                    concurrent.futures.TimeoutError)


@dataclasses.dataclass
class Backends:
    """Everything the domain functions need beyond the request itself."""

    api_url: str
    cells: CellCache
    redis_url: str
    key_prefix: str
    cell_timeout: float
    max_limit: int
    pool: concurrent.futures.ThreadPoolExecutor
    # Usage of a project (quota) is counted in placement.
    placement: PlacementClient | None = None

    def redis(self):
        """The shared Redis client (liveness keys)."""
        return redis_client.get(self.redis_url)

    def build_stream(self) -> tasks.TaskStream:
        """The stream the superconductors consume."""
        return tasks.TaskStream(redis_client.get(self.redis_url),
                                tasks.build_stream_key(self.key_prefix),
                                tasks.SUPERCONDUCTOR_GROUP)

    def cell_stream(self, cell: Cell) -> tasks.TaskStream:
        """The task stream of ``cell``, in its own Redis if its mapping names one."""
        return tasks.cell_stream(cell.queue_url, self.redis_url, self.key_prefix, cell.uuid)

    def in_cell(self, cell: Cell, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call(cell_db_url, *args)`` bounded by ``cell_timeout``; CellUnavailable if the
        cell does not answer. Errors of the access layer (NotFound, Conflict) pass through.
        """
        future = self.pool.submit(call, cell.database_connection, *args, **kwargs)
        try:
            return future.result(timeout=self.cell_timeout)
        except CELL_DOWN_ERRORS as error:
            raise errors.CellUnavailable(
                f"Cell {cell.name} did not answer; try again later.") from error

    def write_in_cell(self, cell: Cell, call: Callable[..., T], *args: Any,
                      **kwargs: Any) -> T:
        """``call(cell_db_url, *args)`` in this thread, unbounded: a write that timed out
        here could still land in the cell, and the caller would report the wrong outcome.
        CellUnavailable if the cell cannot be reached.
        """
        try:
            return call(cell.database_connection, *args, **kwargs)
        except CELL_DOWN_ERRORS as error:
            raise errors.CellUnavailable(
                f"Cell {cell.name} did not answer; try again later.") from error


def enqueue(stream: tasks.TaskStream, kind: str, payload: dict[str, Any],
            request_id: str) -> None:
    """Add a task; ServiceUnavailable if Redis does not take it."""
    try:
        stream.add(kind, payload, request_id)
    except redis.RedisError as error:
        raise errors.ServiceUnavailable("The task queue is unavailable; try again later.") \
            from error
