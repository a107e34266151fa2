"""Fixtures for functional tests: real MariaDB and Redis over real connections.

Every test session creates its own uniquely named databases on the MariaDB server
(``CELLAR_TEST_MYSQL_URL``, default root on 127.0.0.1:3306), migrates each schema once,
and drops them at the end; each test starts from empty tables. Redis keys carry a
prefix unique to the test, so parallel runs never see each other's streams.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
import sqlalchemy as sa
from oslo_config import cfg
from werkzeug import serving

from db import engine as db_engine
from db import migrate
from placement import app as placement_app
from placement import conf as placement_conf

MYSQL_SERVER = os.environ.get("CELLAR_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("CELLAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _server_engine() -> sa.Engine:
    return db_engine.create_engine(MYSQL_SERVER + "/", poolclass=sa.pool.NullPool)


@pytest.fixture(scope="session")
def run_id(worker_id: str) -> str:
    """A short tag unique to this test session and xdist worker."""
    return f"{uuid.uuid4().hex[:8]}_{worker_id}"


@pytest.fixture(scope="session")
def database_url(run_id: str) -> Iterator[Callable[[str], str]]:
    """Factory: a fresh MariaDB database for ``name``, dropped when the session ends."""
    created: list[str] = []

    def make(name: str) -> str:
        database = f"cellar_t_{run_id}_{name}"
        url = f"{MYSQL_SERVER}/{database}?charset=utf8mb4"
        migrate.ensure_database(url)
        created.append(database)
        return url

    yield make
    db_engine.dispose_all()
    server = _server_engine()
    with server.begin() as conn:
        for database in created:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{database}`"))
    server.dispose()


def _migrated(database_url: Callable[[str], str], schema: str, name: str) -> str:
    url = database_url(name)
    migrate.upgrade(schema, url)
    return url


def empty_tables(url: str) -> None:
    """Delete every row of every table but Alembic's, children first."""
    engine = db_engine.get_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def _api_db(database_url) -> str:
    return _migrated(database_url, "api", "api")


@pytest.fixture(scope="session")
def _placement_db(database_url) -> str:
    return _migrated(database_url, "placement", "placement")


@pytest.fixture(scope="session")
def _cell_dbs(database_url) -> dict[str, str]:
    return {name: _migrated(database_url, "cell", name) for name in ("cell0", "cell1", "cell2")}


@pytest.fixture
def api_db(_api_db: str) -> str:
    """URL of a migrated, empty API database."""
    empty_tables(_api_db)
    return _api_db


@pytest.fixture
def placement_db(_placement_db: str) -> str:
    """URL of a migrated, empty placement database."""
    empty_tables(_placement_db)
    return _placement_db


@pytest.fixture
def cell_dbs(_cell_dbs: dict[str, str]) -> dict[str, str]:
    """URLs of three migrated, empty cell databases: cell0, cell1 and cell2."""
    for url in _cell_dbs.values():
        empty_tables(url)
    return _cell_dbs


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix unique to this test; its keys are deleted afterwards."""
    prefix = f"cellar_t_{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_url() -> str:
    """URL of the Redis server the functional tests use."""
    return REDIS_URL


@pytest.fixture(scope="session")
def _placement_server(_placement_db: str) -> Iterator[str]:
    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    conf([], project="cellar")
    conf.set_override("connection", _placement_db, group="placement_database")
    server = serving.make_server("127.0.0.1", 0, placement_app.create_app(conf), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def placement_endpoint(placement_db: str, _placement_server: str) -> str:
    """URL of a real placement service (HTTP on loopback) over an empty placement DB."""
    return _placement_server
