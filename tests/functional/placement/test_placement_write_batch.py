"""The claim's write batch: one compound statement on MariaDB, one by one elsewhere.

Both ways must fail alike: ``GuardFailed`` naming the guard when a guarded write
changed the wrong number of rows or an insert hit a duplicate key, and nothing of
the batch left once the caller's transaction rolls back.
"""

from __future__ import annotations

import pathlib
import threading
import time

import pytest
import sqlalchemy as sa

from db import migrate
from db.base import utcnow
from placement.objects.base import RP, transaction
from placement.objects.base import engine as base_engine
from placement.objects.write_batch import GuardFailed, WriteBatch

_BUMP = (sa.update(RP).where(RP.c.id == sa.bindparam("p_id"),
                             RP.c.generation == sa.bindparam("p_seen"))
         .values(generation=sa.bindparam("p_new"), updated_at=sa.bindparam("p_now")))
_INSERT = sa.insert(RP)


@pytest.fixture(params=["mariadb", "sqlite"])
def db_url(request, tmp_path: pathlib.Path) -> str:
    """The test MariaDB placement database, or a fresh SQLite one."""
    if request.param == "mariadb":
        return request.getfixturevalue("placement_db")
    url = f"sqlite:///{tmp_path / 'placement.db'}"
    migrate.upgrade("placement", url)
    return url


def _provider(url: str, name: str) -> int:
    with transaction(url) as conn:
        return conn.execute(_INSERT.values(uuid=_uuid(name), name=name, generation=0,
                                           created_at=utcnow())).inserted_primary_key[0]


def _uuid(name: str) -> str:
    return f"00000000-0000-4000-8000-{name.encode().hex()[:12]:0>12}"


def _generation(url: str, provider_id: int) -> int:
    with transaction(url) as conn:
        return conn.execute(sa.select(RP.c.generation).where(RP.c.id == provider_id)).scalar()


def _bump(batch: WriteBatch, provider_id: int, seen: int) -> None:
    batch.add(_BUMP, {"p_id": provider_id, "p_seen": seen, "p_new": seen + 1,
                      "p_now": utcnow()}, rows=1, guard=f"provider {provider_id}")


def test_every_write_of_a_batch_lands(db_url: str) -> None:
    first, second = _provider(db_url, "wb-a"), _provider(db_url, "wb-b")
    batch = WriteBatch()
    _bump(batch, first, 0)
    _bump(batch, second, 0)
    now = utcnow()
    batch.add(_INSERT, [{"uuid": _uuid(f"wb-n{i}"), "name": f"wb-n{i}", "generation": 0,
                         "created_at": now} for i in range(3)])
    with transaction(db_url) as conn:
        batch.run(conn)
    assert (_generation(db_url, first), _generation(db_url, second)) == (1, 1)
    with transaction(db_url) as conn:
        names = conn.execute(sa.select(RP.c.name).where(RP.c.name.like("wb-n%"))
                             .order_by(RP.c.name)).scalars().all()
    assert names == ["wb-n0", "wb-n1", "wb-n2"]


def test_a_stale_generation_stops_the_batch_and_nothing_stays(db_url: str) -> None:
    first, second = _provider(db_url, "wb-c"), _provider(db_url, "wb-d")
    batch = WriteBatch()
    _bump(batch, first, 0)
    _bump(batch, second, 5)          # stale: the provider is at 0
    batch.add(_INSERT, [{"uuid": _uuid("wb-late"), "name": "wb-late", "generation": 0,
                         "created_at": utcnow()}])
    with pytest.raises(GuardFailed) as failed, transaction(db_url) as conn:
        batch.run(conn)
    assert failed.value.guard == f"provider {second}"
    assert _generation(db_url, first) == 0
    with transaction(db_url) as conn:
        assert conn.execute(sa.select(RP.c.id).where(RP.c.name == "wb-late")).first() is None


def test_a_duplicate_insert_names_its_guard(db_url: str) -> None:
    _provider(db_url, "wb-e")
    batch = WriteBatch()
    batch.add(_INSERT, {"uuid": _uuid("wb-e"), "name": "wb-e2", "generation": 0,
                        "created_at": utcnow()}, guard="consumer wb-e", on_duplicate=True)
    with pytest.raises(GuardFailed) as failed, transaction(db_url) as conn:
        batch.run(conn)
    assert failed.value.guard == "consumer wb-e"


def test_an_unguarded_duplicate_is_the_database_error(db_url: str) -> None:
    _provider(db_url, "wb-f")
    batch = WriteBatch()
    batch.add(_INSERT, {"uuid": _uuid("wb-f"), "name": "wb-f2", "generation": 0,
                        "created_at": utcnow()})
    with pytest.raises(sa.exc.IntegrityError), transaction(db_url) as conn:
        batch.run(conn)


def test_values_are_escaped_not_executed(db_url: str) -> None:
    hostile = "wb-g'); DROP TABLE resource_providers; -- %s %(x)s \\"
    batch = WriteBatch()
    batch.add(_INSERT, [{"uuid": _uuid("wb-g"), "name": hostile, "generation": 0,
                         "created_at": utcnow()}])
    with transaction(db_url) as conn:
        batch.run(conn)
    with transaction(db_url) as conn:
        assert conn.execute(sa.select(RP.c.name).where(RP.c.uuid == _uuid("wb-g"))
                            ).scalar() == hostile


_COUNT_NAMED = (sa.select(sa.func.count()).select_from(RP)
                .where(RP.c.name.like(sa.bindparam("c_prefix"))))


def _run(url: str, batch: WriteBatch, failing: str | None) -> None:
    """Run ``batch`` in a transaction of its own: it must pass, or fail on guard
    ``failing`` and leave nothing."""
    if failing is None:
        with transaction(url) as conn:
            batch.run(conn)
        return
    with pytest.raises(GuardFailed) as failed, transaction(url) as conn:
        batch.run(conn)
    assert failed.value.guard == failing


@pytest.mark.parametrize("wanted,holds", [(2, True), (3, False)])
def test_a_check_reads_the_writes_before_it(db_url: str, wanted: int, holds: bool) -> None:
    prefix = f"wb-k{wanted}"
    batch = WriteBatch()
    batch.add(_INSERT, [{"uuid": _uuid(f"{prefix}{i}"), "name": f"{prefix}{i}",
                         "generation": 0, "created_at": utcnow()} for i in range(2)])
    batch.check(_COUNT_NAMED, {"c_prefix": f"{prefix}%"}, wanted, guard="two of them")
    _run(db_url, batch, failing=None if holds else "two of them")
    with transaction(db_url) as conn:
        left = conn.execute(_COUNT_NAMED, {"c_prefix": f"{prefix}%"}).scalar()
    assert left == (2 if holds else 0)


@pytest.mark.parametrize("shortcut_holds", [True, False])
def test_a_check_is_skipped_when_its_shortcut_holds(db_url: str, shortcut_holds: bool) -> None:
    provider = _provider(db_url, f"wb-u{int(shortcut_holds)}")
    shortcut = (sa.select(RP.c.generation).where(RP.c.id == sa.bindparam("u_id")),
                {"u_id": provider}, 1 if shortcut_holds else 7)
    batch = WriteBatch()
    _bump(batch, provider, 0)
    # A check that can never hold: only the shortcut lets the batch through.
    batch.check(_COUNT_NAMED, {"c_prefix": "no such name"}, 1, guard="never",
                unless=shortcut)
    _run(db_url, batch, failing=None if shortcut_holds else "never")
    assert _generation(db_url, provider) == (1 if shortcut_holds else 0)


def test_a_statement_s_own_literals_are_sent(db_url: str) -> None:
    provider = _provider(db_url, "wb-l")
    batch = WriteBatch()
    # "+ 3" is a parameter SQLAlchemy binds itself, not one of the batch's.
    batch.add(sa.update(RP).where(RP.c.id == sa.bindparam("l_id"))
              .values(generation=RP.c.generation + 3), {"l_id": provider}, rows=1)
    with transaction(db_url) as conn:
        batch.run(conn)
    assert _generation(db_url, provider) == 3


@pytest.mark.mariadb
def test_a_batch_alone_at_read_committed_reads_what_others_committed_meanwhile(
        placement_db: str) -> None:
    """The batch reads, then waits on a lock while another connection inserts and
    commits a row: at READ COMMITTED its next read sees that row. (At the session's
    REPEATABLE READ, the first read would hold locks that keep the insert waiting
    until the batch ends.)"""
    name = "wb-rc"
    other = sa.create_engine(placement_db, poolclass=sa.pool.NullPool)
    batch = WriteBatch()
    batch.check(_COUNT_NAMED, {"c_prefix": name}, 0, guard="not yet")
    batch.add(sa.text("DO GET_LOCK(:lock, 5)"), {"lock": name})
    batch.check(_COUNT_NAMED, {"c_prefix": name}, 1, guard="what the batch saw")
    batch.add(sa.text("DO RELEASE_LOCK(:lock)"), {"lock": name})
    with other.connect() as theirs:
        theirs.execute(sa.text("DO GET_LOCK(:lock, 5)"), {"lock": name})
        done = threading.Event()

        def run_batch() -> None:
            with base_engine(placement_db).connect() as conn:
                batch.commit_alone(conn, read_committed=True)
            done.set()

        runner = threading.Thread(target=run_batch)
        runner.start()
        _wait_for_lock_waiter(theirs, name)
        theirs.execute(_INSERT.values(uuid=_uuid(name), name=name, generation=0,
                                      created_at=utcnow()))
        theirs.commit()
        theirs.execute(sa.text("DO RELEASE_LOCK(:lock)"), {"lock": name})
        runner.join(30)
    other.dispose()
    assert done.is_set()


def _wait_for_lock_waiter(conn: sa.Connection, lock: str) -> None:
    """Return once another connection waits for ``lock``."""
    for _ in range(2000):
        waiting = conn.execute(sa.text(
            "SELECT COUNT(*) FROM information_schema.processlist "
            "WHERE state = 'User lock' AND info LIKE :pattern"),
            {"pattern": f"%GET_LOCK('{lock}'%"}).scalar()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError(f"no connection waited for lock {lock}")
