"""Boot, list, act on and delete servers across two cells of a real cellar-aio."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

IMAGE = "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a700"


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def statuses(aio) -> dict[str, str]:
    reply = aio.compute("GET", "/servers/detail")
    assert reply.status_code == 200, reply.text
    return {s["id"]: s["status"] for s in reply.json()["servers"]}


def cell_of(aio, server_id: str) -> str:
    for cell in ("cell1", "cell2"):
        with sqlite3.connect(aio.state_dir / f"{cell}.db") as conn:
            row = conn.execute("SELECT 1 FROM instances WHERE uuid = ? AND deleted = 0",
                               (server_id,)).fetchone()
        if row:
            return cell
    raise AssertionError(f"{server_id} is in no cell")


def test_boot_list_act_delete_across_two_cells(aio):
    ids = []
    for n in range(6):
        reply = aio.compute("POST", "/servers", json={"server": {
            "name": f"vm{n}", "flavorRef": "1", "imageRef": IMAGE}})
        assert reply.status_code == 202, reply.text
        ids.append(reply.json()["server"]["id"])

    wait_for(lambda: all(statuses(aio).get(i) == "ACTIVE" for i in ids), "6 servers ACTIVE")
    assert {cell_of(aio, i) for i in ids} == {"cell1", "cell2"}

    listed = aio.compute("GET", "/servers").json()["servers"]
    assert [s["id"] for s in listed] == list(reversed(ids))
    page = aio.compute("GET", "/servers?limit=4").json()
    assert len(page["servers"]) == 4 and page["servers_links"][0]["rel"] == "next"

    target = ids[0]
    assert aio.compute("POST", f"/servers/{target}/action", json={"os-stop": None}
                       ).status_code == 202
    wait_for(lambda: statuses(aio)[target] == "SHUTOFF", "server stopped")
    assert aio.compute("POST", f"/servers/{target}/action", json={"os-start": None}
                       ).status_code == 202
    wait_for(lambda: statuses(aio)[target] == "ACTIVE", "server started")

    usages = aio.placement_get("/usages?project_id=demo")["usages"]
    assert usages["VCPU"] == 6 and usages["MEMORY_MB"] == 6 * 512

    for server_id in ids:
        assert aio.compute("DELETE", f"/servers/{server_id}").status_code == 204
    wait_for(lambda: not statuses(aio), "all servers gone")
    wait_for(lambda: not any(aio.placement_get("/usages?project_id=demo")["usages"].values()),
             "placement usages back to zero")
    for provider in aio.placement_get("/resource_providers")["resource_providers"]:
        usages = aio.placement_get(f"/resource_providers/{provider['uuid']}/usages")["usages"]
        assert not any(usages.values()), (provider["name"], usages)


def test_flavor_larger_than_any_host_ends_in_error_with_fault(aio):
    created = aio.compute("POST", "/flavors", token="admin", json={"flavor": {
        "name": "e2e.huge", "ram": 8192, "vcpus": 1, "disk": 1}})
    assert created.status_code == 200, created.text
    flavor_id = created.json()["flavor"]["id"]
    reply = aio.compute("POST", "/servers", json={"server": {
        "name": "too-big", "flavorRef": flavor_id, "imageRef": IMAGE}})
    assert reply.status_code == 202, reply.text
    server_id = reply.json()["server"]["id"]
    wait_for(lambda: statuses(aio).get(server_id) == "ERROR", "server in ERROR")
    shown = aio.compute("GET", f"/servers/{server_id}").json()["server"]
    assert "No valid host" in shown["fault"]["message"]
    assert aio.compute("DELETE", f"/servers/{server_id}").status_code == 204
    wait_for(lambda: server_id not in statuses(aio), "errored server deleted")
