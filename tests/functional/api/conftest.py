"""An application over the real API DB, three real cell DBs and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest

from api_cell.api.app import create_app
from common import redis_client
from db.api import cells as db_cells
from tests.functional.api.api_world import World, make_conf


@pytest.fixture
def world(api_db: str, cell_dbs: dict[str, str], redis_url: str, redis_prefix: str,
          placement_endpoint: str) -> World:
    """Cell mappings for cell0, cell1 and cell2 pointing at the test cell DBs."""
    cells = {"cell0": db_cells.create(api_db, "cell0", cell_dbs["cell0"],
                                      cell_uuid=db_cells.CELL0_UUID)}
    for name in ("cell1", "cell2"):
        cells[name] = db_cells.create(api_db, name, cell_dbs[name])
    world = World(api_db, cells, redis_url, redis_prefix)
    world.placement_endpoint = placement_endpoint
    return world


@pytest.fixture
def app(world: World) -> Iterator[flask.Flask]:
    """The compute API over ``world``."""
    application = create_app(make_conf(world.api_db, world.redis_url, world.redis_prefix,
                                       placement_endpoint=world.placement_endpoint,
                                       cell_timeout=2.0, max_limit=1000))
    yield application
    application.extensions["cellar"]["backends"].health.stop()
    application.extensions["cellar"]["backends"].pool.shutdown(wait=True)
    redis_client.close_all()


@pytest.fixture
def client(app: flask.Flask) -> flask.testing.FlaskClient:
    """A test client of ``app``."""
    return app.test_client()
