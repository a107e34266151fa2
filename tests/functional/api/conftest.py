"""An application over the real API DB, three real cell DBs and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import flask
import pytest
import redis as redis_lib

from api_cell.api.app import create_app
from api_cell.scheduler.scheduler import Scheduler
from api_cell.superconductor.builder import Builder
from common import liveness, redis_client
from common.placement_client import PlacementClient
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


# The one host of ``builder``'s cell: room for every test's servers.
HOST_INVENTORY = {rc: {"total": total, "reserved": 0, "min_unit": 1, "max_unit": total,
                       "step_size": 1, "allocation_ratio": 1.0}
                  for rc, total in (("VCPU", 64), ("MEMORY_MB", 65536), ("DISK_GB", 1000))}


@pytest.fixture
def builder(app: flask.Flask, world: World) -> Builder:
    """A superconductor over the API's world (and its provider network): one live
    host in cell1."""
    placement = PlacementClient(world.placement_endpoint)
    node = str(uuid.uuid4())
    placement.ensure_provider(node, "cell1-host")
    placement.set_inventories(node, HOST_INVENTORY)
    redis = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
    liveness.mark_up(redis, world.redis_prefix, node, 60,
                     {"host": "cell1-host", "cell_uuid": world.cells["cell1"].uuid})
    cache = db_cells.CellCache(world.api_db, max_age=0)
    scheduler = Scheduler(placement, redis, world.redis_prefix, cache)
    return Builder(world.api_db, cache, scheduler, placement, world.redis_url,
                   world.redis_prefix, network=app.extensions["cellar"]["backends"].network)
