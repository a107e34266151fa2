"""Durable task streams on Redis: at-least-once delivery through consumer groups.

A producer adds a task; every consumer of the group reads new tasks, acks what it has
finished, and reclaims tasks another consumer took and never acked (it died). Work
done for a task must therefore be idempotent.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import redis

from common import redis_client

BUILD_STREAM = "build"
SUPERCONDUCTOR_GROUP = "superconductors"
CONDUCTOR_GROUP = "conductors"


def build_stream_key(prefix: str) -> str:
    """The stream the API feeds and the superconductors consume."""
    return f"{prefix}:{BUILD_STREAM}"


def cell_stream_key(prefix: str, cell_uuid: str) -> str:
    """The stream of one cell, consumed by that cell's conductors."""
    return f"{prefix}:cell:{cell_uuid}:tasks"


class Deferred(Exception):  # noqa: N818 (a signal, not an error)
    """A handler cannot run its task now (another worker is on it): the task stays
    pending and is delivered again later, and no error is logged."""


@dataclasses.dataclass(frozen=True)
class Task:
    """One unit of work read from a stream."""

    id: str
    kind: str
    payload: dict[str, Any]
    request_id: str
    deliveries: int = 1


class TaskStream:
    """A Redis stream with one consumer group."""

    def __init__(self, client: redis.Redis, key: str, group: str,
                 max_length: int = 100_000) -> None:
        self.client = client
        self.key = key
        self.group = group
        self.max_length = max_length

    def add(self, kind: str, payload: Mapping[str, Any], request_id: str = "") -> str:
        """Append a task; returns its stream id."""
        fields = {"kind": kind, "payload": json.dumps(payload), "request_id": request_id}
        return self.client.xadd(self.key, fields, maxlen=self.max_length, approximate=True)

    def ensure_group(self) -> None:
        """Create the consumer group (and the stream) if they do not exist yet."""
        try:
            self.client.xgroup_create(self.key, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, consumer: str, count: int = 10, block_ms: int = 1000) -> list[Task]:
        """New tasks for ``consumer``, waiting up to ``block_ms`` for the first one."""
        reply = self.client.xreadgroup(self.group, consumer, {self.key: ">"},
                                       count=count, block=block_ms)
        return [self._task(entry_id, fields) for _key, entries in reply or []
                for entry_id, fields in entries]

    def reclaim(self, consumer: str, idle_ms: int, count: int = 10) -> list[Task]:
        """Tasks left unacked by any consumer for ``idle_ms``, now owned by ``consumer``."""
        reply = self.client.xautoclaim(self.key, self.group, consumer,
                                       min_idle_time=idle_ms, start_id="0-0", count=count)
        claimed = [(entry_id, fields) for entry_id, fields in reply[1] if fields]
        if not claimed:
            return []
        pending = self.client.xpending_range(self.key, self.group, min=claimed[0][0],
                                             max=claimed[-1][0], count=len(claimed) * 2,
                                             consumername=consumer)
        deliveries = {entry["message_id"]: entry["times_delivered"] for entry in pending}
        return [self._task(entry_id, fields, deliveries.get(entry_id, 2))
                for entry_id, fields in claimed]

    def ack(self, task: Task) -> None:
        """Mark ``task`` done and drop it from the stream."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.xack(self.key, self.group, task.id)
            pipe.xdel(self.key, task.id)
            pipe.execute()

    def pending_count(self) -> int:
        """Tasks delivered to a consumer and not acked yet."""
        return self.client.xpending(self.key, self.group)["pending"]

    @staticmethod
    def _task(entry_id: str, fields: Mapping[str, str], deliveries: int = 1) -> Task:
        return Task(id=entry_id, kind=fields["kind"], payload=json.loads(fields["payload"]),
                    request_id=fields.get("request_id", ""), deliveries=deliveries)


def cell_stream(queue_url: str | None, default_url: str, prefix: str,
                cell_uuid: str) -> TaskStream:
    """The task stream of a cell: in the cell's own Redis if its mapping names one."""
    return TaskStream(redis_client.get(queue_url or default_url),
                      cell_stream_key(prefix, cell_uuid), CONDUCTOR_GROUP)
