"""The per-cell circuit breakers: their state machine, with a fake clock and probe."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import exc as sa_exc

from api_cell.cell_health import CellDown, CellHealth
from api_cell.scheduler import filters
from api_cell.scheduler.hosts import HostCandidate
from db import engine as db_engine
from db.api.cells import Cell

CELL = Cell(id=1, uuid="c-1", name="cell1", database_connection="mysql+pymysql://db1/c1",
            queue_url=None, disabled=False)
OTHER = Cell(id=2, uuid="c-2", name="cell2", database_connection="mysql+pymysql://db2/c2",
             queue_url=None, disabled=False)


class Unreachable(Exception):
    """What a fake driver raises when the cell's server does not answer."""


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Probe:
    def __init__(self) -> None:
        self.answers = False
        self.calls: list[str] = []

    def __call__(self, url: str) -> None:
        self.calls.append(url)
        if not self.answers:
            raise Unreachable("connection refused")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def health(clock: Clock, probe: Probe) -> CellHealth:
    return CellHealth(probe, probe_interval=1.0, clock=clock, background=False,
                      is_unreachable=lambda error: isinstance(error, Unreachable))


def _fail(_url: str) -> None:
    raise Unreachable("lost connection")


def test_a_closed_breaker_lets_calls_through(health):
    assert health.call(CELL, lambda url, n: (url, n), 3) == (CELL.database_connection, 3)
    assert not health.is_down(CELL.uuid) and health.down_cells() == set()


def test_an_unreachable_error_opens_the_breaker_and_later_calls_fail_at_once(health):
    with pytest.raises(Unreachable):
        health.call(CELL, _fail)
    assert health.down_cells() == {CELL.uuid}
    called = []
    with pytest.raises(CellDown) as raised:
        health.call(CELL, called.append)
    assert called == [] and raised.value.cell_name == "cell1"
    assert "lost connection" in raised.value.reason
    assert health.breaker(CELL.uuid).refused == 1
    # Other cells are not affected.
    assert health.call(OTHER, lambda url: url) == OTHER.database_connection


def test_an_error_of_a_server_that_answers_keeps_the_breaker_closed(health):
    def conflict(_url: str) -> None:
        raise ValueError("duplicate key")

    with pytest.raises(ValueError):
        health.call(CELL, conflict)
    assert not health.is_down(CELL.uuid)
    assert health.failed(CELL, ValueError("x")) is False


def test_a_probe_runs_once_the_interval_passed_and_closes_on_an_answer(health, clock, probe):
    health.trip(CELL, "timeout")
    assert health.probe_due() == [] and probe.calls == []  # opened just now
    clock.now += 1.0
    assert health.probe_due() == [] and probe.calls == [CELL.database_connection]
    assert health.is_down(CELL.uuid)
    assert health.breaker(CELL.uuid).reason.startswith("probe failed: Unreachable")
    assert health.probe_due() == []  # not due again yet
    assert len(probe.calls) == 1
    probe.answers = True
    clock.now += 1.0
    assert health.probe_due() == ["cell1"]
    assert not health.is_down(CELL.uuid)


def test_half_open_a_call_after_the_interval_probes_first(health, clock, probe):
    health.trip(CELL, "timeout")
    probe.answers = True
    with pytest.raises(CellDown):
        health.guard(CELL)  # within the open period: refused without a probe
    assert probe.calls == []
    clock.now += 1.5
    assert health.call(CELL, lambda url: "answered") == "answered"
    assert probe.calls == [CELL.database_connection] and not health.is_down(CELL.uuid)


def test_tripping_twice_keeps_the_first_reason(health):
    health.trip(CELL, "first")
    health.trip(CELL, "second")
    assert health.breaker(CELL.uuid).reason == "first"


def test_a_moved_cell_database_closes_its_breaker(health):
    health.trip(CELL, "timeout")
    moved = Cell(**{**CELL.__dict__, "database_connection": "mysql+pymysql://db9/c1"})
    health.guard(moved)
    assert not health.is_down(CELL.uuid)


def test_concurrent_trips_open_one_breaker(health):
    start = threading.Barrier(8)

    def trip() -> None:
        start.wait()
        health.trip(CELL, threading.current_thread().name)

    threads = [threading.Thread(target=trip) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert health.down_cells() == {CELL.uuid}


def test_the_background_prober_closes_a_breaker_by_itself():
    answered = threading.Event()

    def probe(_url: str) -> None:
        answered.set()

    health = CellHealth(probe, probe_interval=0.01)
    try:
        health.trip(CELL, "timeout")
        assert answered.wait(10)
        deadline = time.monotonic() + 10
        while health.is_down(CELL.uuid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not health.is_down(CELL.uuid)
    finally:
        health.stop()


def test_the_cell_up_filter_rejects_hosts_of_a_down_cell_with_a_reason():
    check = filters.cell_up({"c-1"})
    down = HostCandidate("n1", {}, {}, host="h1", cell_uuid="c-1")
    up = HostCandidate("n2", {}, {}, host="h2", cell_uuid="c-2")
    rejections: dict[str, str] = {}
    assert filters.apply([down, up], [check], rejections) == [up]
    assert rejections == {"n1": "cell c-1 is down (its database does not answer)"}


@pytest.mark.parametrize("error,down", [
    (sa_exc.OperationalError("SELECT 1", {}, Exception(2003, "Can't connect")), True),
    (sa_exc.OperationalError("SELECT 1", {}, Exception(2013, "Lost connection")), True),
    (sa_exc.OperationalError("UPDATE", {}, Exception(1213, "Deadlock found")), False),
    (sa_exc.IntegrityError("INSERT", {}, Exception(1062, "Duplicate entry")), False),
    (sa_exc.TimeoutError("QueuePool limit reached"), True),
    (TimeoutError(), True),
    (ValueError("not a database error"), False),
])
def test_which_database_errors_mean_the_cell_is_down(error, down):
    assert db_engine.is_unreachable(error) is down


def test_cell_urls_get_driver_timeouts_unless_they_name_their_own():
    bounded = db_engine.bounded_url("mysql+pymysql://root:pw@db1/c1?charset=utf8mb4", 2, 3, 4)
    assert bounded == ("mysql+pymysql://root:pw@db1/c1?charset=utf8mb4&connect_timeout=2"
                       "&read_timeout=3&write_timeout=4")
    own = "mysql+pymysql://db1/c1?read_timeout=30"
    assert "read_timeout=30" in db_engine.bounded_url(own, 2, 2, 2)
    assert db_engine.bounded_url("sqlite:////tmp/c1.db", 2, 2, 2) == "sqlite:////tmp/c1.db"


def test_ping_answers_for_sqlite_and_fails_fast_on_a_closed_port(tmp_path):
    db_engine.ping(f"sqlite:///{tmp_path}/cell.db", 1)
    with pytest.raises(sa_exc.OperationalError) as raised:
        db_engine.ping("mysql+pymysql://root@127.0.0.1:1/nowhere", 1)
    assert db_engine.is_unreachable(raised.value)
