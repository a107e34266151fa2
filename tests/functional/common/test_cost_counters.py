"""The per-task cost counters: SQL statements by database, placement calls by resource."""

from __future__ import annotations

import sqlalchemy as sa

from common import placement_client
from db import engine as db_engine


def test_statements_are_counted_by_database_only_inside_the_block(api_db, cell_dbs):
    api_engine = db_engine.get_engine(api_db)
    cell_engine = db_engine.get_engine(cell_dbs["cell1"])
    with db_engine.counting_statements() as counted:
        with api_engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            conn.execute(sa.text("SELECT 2"))
        with cell_engine.connect() as conn:
            conn.execute(sa.text("SELECT 3"))
    with api_engine.connect() as conn:
        conn.execute(sa.text("SELECT 4"))
    api_name = sa.make_url(api_db).database
    cell_name = sa.make_url(cell_dbs["cell1"]).database
    assert counted[api_name] >= 2 and counted[cell_name] >= 1
    assert counted[api_name] - counted[cell_name] >= 1
    assert set(counted) == {api_name, cell_name}


def test_placement_calls_are_counted_by_method_and_resource(placement_endpoint):
    client = placement_client.PlacementClient(placement_endpoint)
    with placement_client.counting_calls() as counted:
        client.release("00000000-0000-0000-0000-00000000abcd")
        client.provider("00000000-0000-0000-0000-00000000abcd")
        client.provider("00000000-0000-0000-0000-00000000abce")
    client.provider("00000000-0000-0000-0000-00000000abcf")
    assert counted == {"DELETE allocations": 1, "GET resource_providers": 2}
