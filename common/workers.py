"""Threads that consume a task stream until told to stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from common import context
from common.tasks import Deferred, Task, TaskStream

LOG = logging.getLogger(__name__)


class StreamWorker(threading.Thread):
    """Reads tasks from ``stream``, runs ``handle`` on each, acks what succeeded.

    A task whose handler raises stays pending and is reclaimed by some worker once it
    has been idle for ``reclaim_idle_seconds`` (the handler must be idempotent). A task
    delivered more than ``max_deliveries`` times is handed to ``give_up`` (which records
    the failure where a user sees it) and acked, so one poisoned task cannot loop forever.
    """

    def __init__(self, stream: TaskStream, consumer: str, handle: Callable[[Task], None],
                 stop: threading.Event, reclaim_idle_seconds: float = 60.0,
                 batch: int = 10, max_deliveries: int | None = None,
                 give_up: Callable[[Task], None] | None = None) -> None:
        super().__init__(name=f"worker-{consumer}", daemon=True)
        self.stream = stream
        self.consumer = consumer
        self.handle = handle
        self.stop = stop
        self.reclaim_idle_ms = int(reclaim_idle_seconds * 1000)
        self.batch = batch
        self.max_deliveries = max_deliveries
        self.give_up = give_up
        self._next_reclaim = 0.0

    def run(self) -> None:
        self.stream.ensure_group()
        while not self.stop.is_set():
            try:
                for task in self._next_tasks():
                    self._run_one(task)
            except Exception:
                LOG.exception("reading %s failed; retrying in 1 s", self.stream.key)
                self.stop.wait(1.0)

    def _next_tasks(self) -> list[Task]:
        now = time.monotonic()
        if now >= self._next_reclaim:
            self._next_reclaim = now + self.reclaim_idle_ms / 2000
            reclaimed = self.stream.reclaim(self.consumer, self.reclaim_idle_ms, self.batch)
            if reclaimed:
                LOG.info("reclaimed %d task(s) from dead consumers", len(reclaimed))
                return reclaimed
        return self.stream.read(self.consumer, count=self.batch, block_ms=1000)

    def _run_one(self, task: Task) -> None:
        with context.request_scope(task.request_id):
            LOG.info("task %s: %s %s", task.id, task.kind, task.payload)
            handler = self.handle
            if self.max_deliveries is not None and task.deliveries > self.max_deliveries:
                LOG.error("task %s (%s) failed %d times; giving up", task.id, task.kind,
                          task.deliveries - 1)
                handler = self.give_up or (lambda _task: None)
            try:
                handler(task)
            except Deferred as why:
                LOG.info("task %s (%s) deferred: %s", task.id, task.kind, why)
                return
            except Exception:
                LOG.exception("task %s (%s) failed; it will be retried", task.id, task.kind)
                return
            self.stream.ack(task)


def start_workers(count: int, make_stream: Callable[[], TaskStream], consumer_prefix: str,
                  handle: Callable[[Task], None], stop: threading.Event,
                  reclaim_idle_seconds: float, max_deliveries: int | None = None,
                  give_up: Callable[[Task], None] | None = None) -> list[StreamWorker]:
    """Start ``count`` workers on one stream, each a consumer of its own name."""
    workers = [StreamWorker(make_stream(), f"{consumer_prefix}-{i}", handle, stop,
                            reclaim_idle_seconds, max_deliveries=max_deliveries,
                            give_up=give_up) for i in range(count)]
    for worker in workers:
        worker.start()
    return workers
