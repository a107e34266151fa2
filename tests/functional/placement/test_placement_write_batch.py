"""The claim's write batch: one compound statement on MariaDB, one by one elsewhere.

Both ways must fail alike: ``GuardFailed`` naming the guard when a guarded write
changed the wrong number of rows or an insert hit a duplicate key, and nothing of
the batch left once the caller's transaction rolls back.
"""

from __future__ import annotations

import pathlib

import pytest
import sqlalchemy as sa

from db import migrate
from db.base import utcnow
from placement.objects.base import RP, transaction
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
