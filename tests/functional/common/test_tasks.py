"""Task streams and stream workers on the real Redis."""

from __future__ import annotations

import threading
import time

import pytest
import redis as redis_lib

from common import tasks, workers


@pytest.fixture
def stream(redis_url, redis_prefix) -> tasks.TaskStream:
    client = redis_lib.Redis.from_url(redis_url, decode_responses=True)
    made = tasks.TaskStream(client, tasks.build_stream_key(redis_prefix), "group")
    made.ensure_group()
    return made


def test_add_read_ack(stream):
    stream.add("build", {"instance_uuid": "u1"}, "req-1")
    [task] = stream.read("c1", block_ms=100)
    assert (task.kind, task.payload, task.request_id) == ("build", {"instance_uuid": "u1"},
                                                          "req-1")
    assert stream.pending_count() == 1
    stream.ack(task)
    assert stream.pending_count() == 0
    assert stream.read("c1", block_ms=100) == []


def test_each_task_goes_to_one_consumer(stream):
    for n in range(10):
        stream.add("build", {"n": n})
    seen = stream.read("a", count=4, block_ms=100) + stream.read("b", count=10, block_ms=100)
    assert sorted(t.payload["n"] for t in seen) == list(range(10))


def test_unacked_task_of_a_dead_consumer_is_reclaimed(stream):
    stream.add("build", {"n": 1})
    [taken] = stream.read("dead", block_ms=100)
    assert stream.reclaim("alive", idle_ms=60_000) == []
    time.sleep(0.05)
    [again] = stream.reclaim("alive", idle_ms=10)
    assert again.id == taken.id and again.payload == {"n": 1}


def test_ensure_group_is_idempotent(stream):
    stream.ensure_group()
    stream.ensure_group()


def test_cell_stream_uses_the_cells_own_redis(redis_url, redis_prefix):
    own = tasks.cell_stream("redis://127.0.0.1:6379/5", redis_url, redis_prefix, "c-uuid")
    shared = tasks.cell_stream(None, redis_url, redis_prefix, "c-uuid")
    own.add("stop", {"instance_uuid": "x"})
    try:
        assert own.client.xlen(own.key) == 1
        assert shared.client.xlen(shared.key) == 0
    finally:
        own.client.delete(own.key)


def test_worker_acks_success_and_retries_failure(stream):
    stop = threading.Event()
    attempts: dict[int, int] = {}
    done: list[int] = []

    def handle(task: tasks.Task) -> None:
        n = task.payload["n"]
        attempts[n] = attempts.get(n, 0) + 1
        if n == 2 and attempts[n] == 1:
            raise RuntimeError("first try fails")
        done.append(n)

    worker = workers.StreamWorker(stream, "w1", handle, stop, reclaim_idle_seconds=0.2)
    worker.start()
    for n in range(3):
        stream.add("build", {"n": n})
    deadline = time.monotonic() + 10
    while sorted(done) != [0, 1, 2] and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(5)
    assert sorted(done) == [0, 1, 2]
    assert attempts[2] == 2
    assert stream.pending_count() == 0


def test_reclaimed_task_knows_how_often_it_was_delivered(stream):
    stream.add("build", {"n": 1})
    stream.read("dead", block_ms=100)
    time.sleep(0.02)
    [second] = stream.reclaim("a", idle_ms=10)
    time.sleep(0.02)
    [third] = stream.reclaim("b", idle_ms=10)
    assert (second.deliveries, third.deliveries) == (2, 3)


def test_poisoned_task_is_given_up_after_max_deliveries(stream):
    stop = threading.Event()
    attempts: list[int] = []
    given_up: list[dict] = []

    def always_fails(task: tasks.Task) -> None:
        attempts.append(task.deliveries)
        raise RuntimeError("poison")

    worker = workers.StreamWorker(stream, "w1", always_fails, stop, reclaim_idle_seconds=0.1,
                                  max_deliveries=3, give_up=lambda t: given_up.append(t.payload))
    worker.start()
    stream.add("build", {"n": 7})
    deadline = time.monotonic() + 15
    while not given_up and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(5)
    assert given_up == [{"n": 7}]
    assert attempts == [1, 2, 3]
    assert stream.pending_count() == 0
