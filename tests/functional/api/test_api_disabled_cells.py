"""A disabled cell takes no new servers but keeps serving the ones it has."""

from __future__ import annotations

import time

from db.api import cells as db_cells

ALICE = {"X-Auth-Token": "alice:project-a"}


def _ids(client, path: str) -> set[str]:
    reply = client.get(path, headers=ALICE)
    assert reply.status_code == 200, reply.json
    return {server["id"] for server in reply.json["servers"]}


def test_servers_of_a_disabled_cell_stay_in_every_list(client, world):
    kept = world.instance("cell2")
    other = world.instance("cell1")
    assert _ids(client, "/v2.1/servers?status=ACTIVE") == {kept, other}
    db_cells.update(world.api_db, "cell2", disabled=True)
    deadline = time.monotonic() + 5
    cache = client.application.extensions["cellar"]["backends"].cells
    while not next(c for c in cache.cells() if c.name == "cell2").disabled:
        assert time.monotonic() < deadline, "the API never saw cell2 disabled"
        time.sleep(0.2)
    for path in ("/v2.1/servers", "/v2.1/servers/detail", "/v2.1/servers?status=ACTIVE",
                 "/v2.1/servers/detail?status=ACTIVE&limit=10"):
        assert _ids(client, path) == {kept, other}, path
    assert client.get(f"/v2.1/servers/{kept}", headers=ALICE).status_code == 200
