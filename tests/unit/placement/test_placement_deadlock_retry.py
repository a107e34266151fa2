"""Requests the database picks as deadlock victims are run again, then refused with 409."""

from __future__ import annotations

import pymysql
import pytest
from sqlalchemy import exc as sa_exc

from placement import errors
from placement.objects.base import retry_when_deadlocked


def _deadlock() -> sa_exc.OperationalError:
    orig = pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock")
    return sa_exc.OperationalError("INSERT ...", {}, orig)


def test_a_deadlock_victim_is_run_again_until_it_wins():
    calls = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _deadlock()
        return "done"

    assert retry_when_deadlocked(work) == "done"
    assert len(calls) == 3


def test_a_request_that_keeps_losing_gets_a_conflict_not_a_server_error():
    calls = []

    def work() -> None:
        calls.append(1)
        raise _deadlock()

    with pytest.raises(errors.ConcurrentUpdate):
        retry_when_deadlocked(work, attempts=3)
    assert len(calls) == 3


def test_other_database_errors_are_not_retried():
    calls = []

    def work() -> None:
        calls.append(1)
        raise sa_exc.OperationalError("SELECT", {}, pymysql.err.OperationalError(1045, "denied"))

    with pytest.raises(sa_exc.OperationalError):
        retry_when_deadlocked(work)
    assert calls == [1]
