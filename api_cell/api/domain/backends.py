"""The databases, caches and queues one API process talks to, and safe calls to cells."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import redis
from sqlalchemy import exc as sa_exc

from api_cell.api import errors
from api_cell.api.domain import networks
from api_cell.cell_health import CellDown, CellHealth, default_health
from common import liveness, redis_client, tasks
from common.placement_client import PlacementClient
from db.api.cells import Cell, CellCache
from protos.compute_client import AgentClient

LOG = logging.getLogger(__name__)

T = TypeVar("T")

# What a cell that is down or unreachable raises from its database driver.
CELL_DOWN_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                    concurrent.futures.TimeoutError)


def unavailable(cell: Cell) -> errors.CellUnavailable:
    """The 503 of a call to a cell that is down."""
    return errors.CellUnavailable(f"Cell {cell.name} is not responding, so what it holds "
                                  "cannot be read or changed now; try again later.")


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
    # Compute agents, called directly for what must answer at once (console output).
    agents: AgentClient | None = None
    # The breakers of the cells: a cell that just failed is not waited for again.
    health: CellHealth = dataclasses.field(default_factory=default_health)
    # The provider network servers get their addresses from ([network] options).
    network: networks.ProviderNetwork = dataclasses.field(
        default_factory=networks.configured)
    # The zone of hosts no aggregate puts in one ([compute_api] default_availability_zone).
    default_zone: str = "nova"

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

    def require_conductor(self, cell: Cell) -> None:
        """CellUnavailable unless a conductor of ``cell`` vouched for it lately: a task
        queued for a cell nobody serves would leave its server stuck in a task state.
        """
        try:
            alive = liveness.cells_with_conductor(self.redis(), self.key_prefix, [cell.uuid])
        except redis.RedisError as error:
            raise errors.ServiceUnavailable(
                "The task queue is unavailable; try again later.") from error
        if not alive:
            raise errors.CellUnavailable(f"Cell {cell.name} has no conductor answering, so "
                                         "its servers cannot be acted on now; try again "
                                         "later.")

    def in_cell(self, cell: Cell, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call(cell_db_url, *args)`` bounded by ``cell_timeout``; CellUnavailable at
        once if the cell's breaker is open, or if the cell does not answer in time (which
        opens it). Errors of the access layer (NotFound, Conflict) pass through.
        """
        self.guard(cell)
        future = self.pool.submit(call, cell.database_connection, *args, **kwargs)
        try:
            return future.result(timeout=self.cell_timeout)
        except concurrent.futures.TimeoutError as error:
            self.health.trip(cell, f"no answer within {self.cell_timeout}s")
            raise unavailable(cell) from error
        except CELL_DOWN_ERRORS as error:
            self.health.failed(cell, error)
            raise unavailable(cell) from error

    def write_in_cell(self, cell: Cell, call: Callable[..., T], *args: Any,
                      **kwargs: Any) -> T:
        """``call(cell_db_url, *args)`` in this thread, not cut short here: a write that
        timed out here could still land in the cell, and the caller would report the
        wrong outcome; the driver's own timeouts bound it. CellUnavailable at once if the
        cell's breaker is open, or if the cell cannot be reached (which opens it).
        """
        try:
            return self.health.call(cell, call, *args, **kwargs)
        except CellDown as error:
            raise unavailable(cell) from error
        except CELL_DOWN_ERRORS as error:
            raise unavailable(cell) from error

    def read_cells(self, calls: Mapping[Cell, Callable[[str], T]]
                   ) -> tuple[dict[str, T], list[Cell]]:
        """Run every cell's call (given the cell's database URL) at once, waiting
        ``cell_timeout`` for all of them.

        Returns the answers by cell uuid, and the cells that gave none: down already
        (not called at all), failed, or late. A late cell, or one whose error means it
        is unreachable, has its breaker opened.
        """
        futures: dict[concurrent.futures.Future, Cell] = {}
        missing: list[Cell] = []
        for cell, call in calls.items():
            try:
                self.guard(cell)
            except errors.CellUnavailable:
                missing.append(cell)
                continue
            futures[self.pool.submit(call, cell.database_connection)] = cell
        done, _late = concurrent.futures.wait(futures, timeout=self.cell_timeout)
        answers: dict[str, T] = {}
        for future, cell in futures.items():
            if future in done and future.exception() is None:
                answers[cell.uuid] = future.result()
                continue
            if future in done:
                LOG.warning("cell %s failed a read: %s", cell.name, future.exception())
                self.health.failed(cell, future.exception())
            else:
                LOG.warning("cell %s did not answer a read within %ss", cell.name,
                            self.cell_timeout)
                self.health.trip(cell, f"no answer within {self.cell_timeout}s")
            missing.append(cell)
        return answers, missing

    def guard(self, cell: Cell) -> None:
        """CellUnavailable at once if the breaker of ``cell`` is open."""
        try:
            self.health.guard(cell)
        except CellDown as error:
            raise unavailable(cell) from error

def enqueue(stream: tasks.TaskStream, kind: str, payload: dict[str, Any],
            request_id: str) -> None:
    """Add a task; ServiceUnavailable if Redis does not take it."""
    try:
        stream.add(kind, payload, request_id)
    except redis.RedisError as error:
        raise errors.ServiceUnavailable("The task queue is unavailable; try again later.") \
            from error
