"""Per-cell circuit breakers of one global-tier process (API worker, superconductor).

A call to a cell that fails because the cell's database is unreachable or silent
opens the cell's breaker: from then on every call to that cell fails at once with
CellDown instead of waiting for a timeout of its own. While a breaker is open, a
background thread probes the cell (``SELECT 1`` on a new connection with short
timeouts) every ``probe_interval`` seconds; the first probe that answers closes it.

The breakers live in the global tier (not in ``db/``) because whether to call a cell
at all is a decision of the callers (lists, actions, the scheduler); ``db.engine``
only says how to reach a database, how to probe it and which errors mean "down".
Nothing here knows of Flask: the API maps CellDown to its 503, the scheduler drops
the hosts of a down cell.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from oslo_config import cfg

from db import engine as db_engine
from db.api.cells import Cell, CellCache

LOG = logging.getLogger(__name__)

T = TypeVar("T")


class CellDown(Exception):
    """The cell's breaker is open: its database did not answer a moment ago."""

    def __init__(self, cell_name: str, reason: str) -> None:
        super().__init__(f"cell {cell_name} is down: {reason}")
        self.cell_name = cell_name
        self.reason = reason


@dataclasses.dataclass
class Breaker:
    """An open breaker: which cell, where its database was, and why it is down."""

    cell_uuid: str
    cell_name: str
    url: str
    reason: str
    opened_at: float
    probed_at: float
    # Calls refused at once since the breaker opened (they never touched the cell).
    refused: int = 0


class CellHealth:
    """The breakers of every cell this process calls; safe to share between threads."""

    def __init__(self, probe: Callable[[str], None], probe_interval: float = 1.0, *,
                 is_unreachable: Callable[[BaseException], bool] = db_engine.is_unreachable,
                 clock: Callable[[], float] = time.monotonic,
                 background: bool = True) -> None:
        """``probe(url)`` raises if the database of ``url`` does not answer.

        With ``background`` a daemon thread probes open breakers; without it, the
        first call refused after ``probe_interval`` runs the probe itself (half-open).
        """
        self.probe = probe
        self.probe_interval = probe_interval
        self.is_unreachable = is_unreachable
        self.clock = clock
        self.background = background
        self._open: dict[str, Breaker] = {}
        self._lock = threading.Lock()
        self._prober: threading.Thread | None = None
        self._prober_pid: int | None = None
        self._stopped = threading.Event()

    def guard(self, cell: Cell) -> None:
        """Return if ``cell`` may be called; CellDown at once if its breaker is open."""
        if not self.background and self._due(cell.uuid):
            self.probe_due()
        with self._lock:
            breaker = self._open.get(cell.uuid)
            if breaker is None:
                return
            if breaker.url != cell.database_connection:
                # The operator moved the cell's database: try the new place.
                del self._open[cell.uuid]
                return
            breaker.refused += 1
            self._ensure_prober()
            raise CellDown(cell.name, breaker.reason)

    def call(self, cell: Cell, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call(cell_db_url, *args)`` in this thread, guarded by the cell's breaker.

        CellDown if the breaker is open; an error that says the cell is unreachable
        opens it and propagates; every other error just propagates.
        """
        self.guard(cell)
        try:
            return call(cell.database_connection, *args, **kwargs)
        except Exception as error:
            self.failed(cell, error)
            raise

    def failed(self, cell: Cell, error: BaseException) -> bool:
        """A call to ``cell`` raised ``error``: open its breaker if that means it is down.

        Returns whether the breaker is open now.
        """
        if not self.is_unreachable(error):
            return False
        self.trip(cell, f"{type(error).__name__}: {_first_line(error)}")
        return True

    def trip(self, cell: Cell, reason: str) -> None:
        """Open the breaker of ``cell`` (kept open, with its first reason, if it is)."""
        with self._lock:
            if cell.uuid in self._open:
                return
            now = self.clock()
            self._open[cell.uuid] = Breaker(cell.uuid, cell.name, cell.database_connection,
                                            reason, opened_at=now, probed_at=now)
            self._ensure_prober()
        LOG.warning("cell %s (%s) marked down: %s", cell.name, cell.uuid, reason)

    def is_down(self, cell_uuid: str) -> bool:
        """Whether the breaker of the cell ``cell_uuid`` is open."""
        with self._lock:
            return cell_uuid in self._open

    def down_cells(self) -> set[str]:
        """The uuids of the cells whose breaker is open."""
        with self._lock:
            return set(self._open)

    def breaker(self, cell_uuid: str) -> Breaker | None:
        """A copy of the open breaker of ``cell_uuid``; None if it is closed."""
        with self._lock:
            breaker = self._open.get(cell_uuid)
            return None if breaker is None else dataclasses.replace(breaker)

    def probe_due(self) -> list[str]:
        """Probe every open breaker whose last probe is ``probe_interval`` old, at once.

        Closes those whose cell answers; returns the names of those cells.
        """
        now = self.clock()
        with self._lock:
            due = [dataclasses.replace(b) for b in self._open.values()
                   if now - b.probed_at >= self.probe_interval]
            for breaker in due:
                # Claimed: a concurrent caller does not probe the same cell again.
                self._open[breaker.cell_uuid].probed_at = now
        outcomes: dict[str, BaseException | None] = {}
        threads = [threading.Thread(target=self._probe_one, args=(b, outcomes), daemon=True,
                                    name=f"cell-probe-{b.cell_name}") for b in due]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [b.cell_name for b in due if self._settle(b, outcomes.get(b.cell_uuid))]

    def stop(self) -> None:
        """Stop the background prober (breakers keep their state)."""
        self._stopped.set()

    def _due(self, cell_uuid: str) -> bool:
        with self._lock:
            breaker = self._open.get(cell_uuid)
            return breaker is not None and \
                self.clock() - breaker.probed_at >= self.probe_interval

    def _probe_one(self, breaker: Breaker, outcomes: dict[str, BaseException | None]) -> None:
        try:
            self.probe(breaker.url)
            outcomes[breaker.cell_uuid] = None
        except Exception as error:  # whatever fails, the cell stays down
            outcomes[breaker.cell_uuid] = error

    def _settle(self, probed: Breaker, error: BaseException | None) -> bool:
        """Close the breaker after a probe that answered; True if it closed."""
        with self._lock:
            current = self._open.get(probed.cell_uuid)
            if current is None or current.url != probed.url:
                return False
            if error is not None:
                current.reason = f"probe failed: {type(error).__name__}: {_first_line(error)}"
                return False
            del self._open[probed.cell_uuid]
        LOG.info("cell %s (%s) answers again after %.1fs down", probed.cell_name,
                 probed.cell_uuid, self.clock() - probed.opened_at)
        return True

    def _ensure_prober(self) -> None:
        """Start the prober thread if none runs in this process (called under the lock).

        It starts on the first open breaker, not at construction, so it always lives
        in the process that uses the breakers (gunicorn forks workers after import).
        """
        if not self.background or self._stopped.is_set():
            return
        if self._prober is not None and self._prober_pid == os.getpid():
            return
        self._prober = threading.Thread(target=self._run_prober, name="cell-prober",
                                        daemon=True)
        self._prober_pid = os.getpid()
        self._prober.start()

    def _run_prober(self) -> None:
        while not self._stopped.wait(self.probe_interval):
            try:
                self.probe_due()
            except Exception:  # the prober must outlive any bug of a probe
                LOG.exception("probing down cells failed")
            with self._lock:
                if not self._open:
                    # Nothing to watch: the next open breaker starts a new prober.
                    self._prober = None
                    return


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""


class BoundedCellCache(CellCache):
    """Cell mappings whose MySQL URLs carry the driver's socket timeouts.

    Every engine the process builds for a cell then gives up on a silent server within
    seconds, whichever module reaches the cell with ``cell.database_connection``.
    """

    def __init__(self, api_url: str, connect_timeout: int, io_timeout: int,
                 max_age: float = 2.0) -> None:
        super().__init__(api_url, max_age)
        self.connect_timeout = connect_timeout
        self.io_timeout = io_timeout
        self._bounded: tuple[list[Cell], list[Cell]] = ([], [])

    def cells(self) -> list[Cell]:
        """All cells, with bounded database URLs."""
        read = super().cells()
        source, bounded = self._bounded
        if read is not source:
            bounded = [dataclasses.replace(cell, database_connection=db_engine.bounded_url(
                cell.database_connection, self.connect_timeout, self.io_timeout,
                self.io_timeout)) for cell in read]
            self._bounded = (read, bounded)
        return bounded


def cells_from_conf(conf: cfg.ConfigOpts) -> BoundedCellCache:
    """The cell mappings of the API DB ``conf`` names, with bounded cell URLs."""
    return BoundedCellCache(conf.api_database.connection, conf.cell_health.connect_timeout,
                            conf.cell_health.io_timeout)


def default_health() -> CellHealth:
    """Breakers with the default probe (1 s timeouts, every second)."""
    return CellHealth(functools.partial(db_engine.ping, timeout=1))


def health_from_conf(conf: cfg.ConfigOpts) -> CellHealth:
    """The breakers of one process, probing with the timeouts ``conf`` sets."""
    return CellHealth(functools.partial(db_engine.ping, timeout=conf.cell_health.probe_timeout),
                      conf.cell_health.probe_interval)
