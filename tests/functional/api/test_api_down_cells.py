"""A cell whose database dies, hangs and comes back, behind a TCP proxy on MariaDB.

Cell2's mapping points at a proxy in front of the MariaDB server; stopping the proxy
(listener and every live connection closed) kills the cell, making it swallow traffic
makes it hang. The API must answer lists within its timeout with what it knows, refuse
calls to the dead cell at once while its breaker is open, and heal by itself.
"""

from __future__ import annotations

import datetime
import socket
import threading
import time
import uuid as uuidlib
from collections.abc import Iterator

import flask
import pytest
import sqlalchemy as sa

from api_cell.api.app import create_app
from api_cell.cell_health import CellHealth
from common import redis_client
from common.placement_client import PlacementClient
from db.api import cells as db_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances
from tests.functional.api.api_world import ADMIN, ALICE, World, make_conf

HEADER = "X-Cellar-Unavailable-Cells"
FLAVOR = {"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0,
          "swap": 0, "extra_specs": {}}
LIST_KEYS = {"id", "status", "tenant_id", "created", "links"}
SHOW_KEYS = LIST_KEYS | {"image", "flavor", "OS-EXT-AZ:availability_zone",
                         "OS-EXT-STS:power_state", "user_id"}


class Proxy:
    """A TCP proxy on 127.0.0.1 (a free port, kept across restarts) to ``target``.

    ``stop`` closes the listener and every connection; ``swallow`` keeps everything
    open but forwards nothing, so a client's read hangs; ``accepted`` counts the
    connections it took.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.accepted = 0
        self.swallowing = False
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        self.swallowing = False
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, args=(self._listener,),
                                          daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # The kernel keeps the port listening while the acceptor sits in poll().
            self._acceptor.join()
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _close(sock)

    def swallow(self) -> None:
        self.swallowing = True

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            with self._lock:
                self._sockets.append(client)
            if self._listener is not listener:
                _close(client)  # taken while stopping
                return
            if self.swallowing:
                threading.Thread(target=self._pump, args=(client, None), daemon=True).start()
                continue
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket | None) -> None:
        try:
            while data := source.recv(65536):
                if sink is not None and not self.swallowing:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            if sink is not None:
                _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    running = Proxy(("127.0.0.1", 3306))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def cell2_via_proxy(world: World, proxy: Proxy) -> db_cells.Cell:
    """Cell2's mapping pointed at the proxy (test data is still written directly)."""
    direct = sa.make_url(world.cells["cell2"].database_connection)
    return db_cells.update(world.api_db, "cell2", database_connection=direct.set(
        port=proxy.port).render_as_string(hide_password=False))


@pytest.fixture
def app(world: World, cell2_via_proxy: db_cells.Cell) -> Iterator[flask.Flask]:
    """The compute API, built after cell2 was pointed at the proxy."""
    conf = make_conf(world.api_db, world.redis_url, world.redis_prefix,
                     placement_endpoint=world.placement_endpoint, cell_timeout=2.0)
    conf.set_override("probe_interval", 0.2, group="cell_health")
    application = create_app(conf)
    yield application
    backends = application.extensions["cellar"]["backends"]
    backends.health.stop()
    backends.pool.shutdown(wait=True)
    redis_client.close_all()


def v(version: str, headers: dict[str, str] = ALICE) -> dict[str, str]:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def _health(app: flask.Flask) -> CellHealth:
    return app.extensions["cellar"]["backends"].health


def _server(world: World, cell: str, day: int) -> str:
    """A placed server with a request spec, as a boot leaves it."""
    instance_uuid = str(uuidlib.uuid4())
    image = str(uuidlib.uuid4())
    created = datetime.datetime(2024, 1, day)
    api_instances.create_build(
        world.api_db, instance_uuid, "project-a", "alice", {"name": "x", "flavor": FLAVOR},
        {"flavor": FLAVOR, "image": {"id": image}, "availability_zone": "az1",
         "resources": {"VCPU": 1, "MEMORY_MB": 512}})
    cell_instances.create(world.cells[cell].database_connection, uuid=instance_uuid,
                          project_id="project-a", user_id="alice",
                          display_name=f"{cell}-{day}", host="h1", node="h1", flavor=FLAVOR,
                          image_ref=image, vm_state="active", task_state=None,
                          power_state=1, created_at=created)
    assert api_instances.place(world.api_db, instance_uuid, world.cells[cell].id)
    return instance_uuid


@pytest.fixture
def servers(world: World) -> dict[str, str]:
    return {"a1": _server(world, "cell1", 1), "b1": _server(world, "cell2", 2),
            "b2": _server(world, "cell2", 3)}


def _listed(client, version: str = "2.69", path: str = "/v2.1/servers/detail"):
    reply = client.get(path, headers=v(version))
    assert reply.status_code == 200, reply.json
    return reply, {s["id"]: s for s in reply.json["servers"]}


def _wait_until_whole(client, deadline_seconds: float = 20.0):
    """Poll the list until no cell is missing (the prober closed the breaker)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        reply, listed = _listed(client)
        if HEADER not in reply.headers or time.monotonic() > deadline:
            return reply, listed
        time.sleep(0.1)


def test_a_dead_cell_is_reported_refused_at_once_and_heals(
        client, app, world, proxy, servers, cell2_via_proxy):
    reply, listed = _listed(client)
    assert HEADER not in reply.headers and set(listed) == set(servers.values())

    proxy.stop()
    reply, listed = _listed(client)
    assert reply.headers[HEADER] == "cell2"
    assert listed[servers["a1"]]["name"] == "cell1-1"
    for name in ("b1", "b2"):
        minimal = listed[servers[name]]
        assert set(minimal) == LIST_KEYS and minimal["status"] == "UNKNOWN"
        assert minimal["tenant_id"] == "project-a"
    # What the API DB knows: the creation time of the server's mapping.
    mapped = api_instances.get_mapping(world.api_db, servers["b1"]).created_at
    assert listed[servers["b1"]]["created"] == mapped.strftime("%Y-%m-%dT%H:%M:%SZ")
    health = _health(app)
    assert health.is_down(cell2_via_proxy.uuid)

    # The breaker is open: the next list does not call the cell at all.
    refused = health.breaker(cell2_via_proxy.uuid).refused
    reply, listed = _listed(client, path="/v2.1/servers")
    assert reply.headers[HEADER] == "cell2"
    assert set(listed[servers["b1"]]) == {"id", "status", "links"}
    assert health.breaker(cell2_via_proxy.uuid).refused == refused + 1

    # Before 2.69 the servers of the dead cell are left out; the header remains.
    reply, listed = _listed(client, version="2.1")
    assert reply.headers[HEADER] == "cell2" and set(listed) == {servers["a1"]}

    shown = client.get(f"/v2.1/servers/{servers['b1']}", headers=v("2.69")).json["server"]
    assert set(shown) == SHOW_KEYS and shown["status"] == "UNKNOWN"
    assert shown["flavor"]["original_name"] == "m1.tiny"
    assert shown["OS-EXT-AZ:availability_zone"] == "az1" and shown["user_id"] == "alice"
    old_show = client.get(f"/v2.1/servers/{servers['b1']}", headers=v("2.1"))
    assert old_show.status_code == 503 and "cell2" in \
        old_show.json["serviceUnavailable"]["message"]
    assert client.get(f"/v2.1/servers/{servers['a1']}", headers=v("2.1")).status_code == 200

    for method, path, body in (
            ("post", f"/v2.1/servers/{servers['b1']}/action", {"os-stop": None}),
            ("put", f"/v2.1/servers/{servers['b1']}/metadata", {"metadata": {"k": "v"}}),
            ("put", f"/v2.1/servers/{servers['b1']}/tags/t1", None),
            ("delete", f"/v2.1/servers/{servers['b1']}", None)):
        reply = getattr(client, method)(path, json=body, headers=v("2.26"))
        assert reply.status_code == 503, (method, path, reply.json)
        assert reply.json["serviceUnavailable"]["code"] == 503
    # The delete refused by the dead cell left the server mapped and listed.
    assert not api_instances.get_mapping(world.api_db, servers["b1"]).queued_for_delete

    proxy.start()
    reply, listed = _wait_until_whole(client)
    assert HEADER not in reply.headers
    assert listed[servers["b1"]]["name"] == "cell2-2" and listed[servers["b1"]]["status"] \
        == "ACTIVE"
    assert not health.is_down(cell2_via_proxy.uuid)


def test_a_cell_that_hangs_mid_list_is_cut_off_by_the_timeout(
        client, app, proxy, servers, cell2_via_proxy):
    reply, listed = _listed(client, path="/v2.1/servers?status=ACTIVE")
    assert HEADER not in reply.headers and len(listed) == 3

    proxy.swallow()
    # A filtered list first asks every cell for its matches: cell2 never answers.
    reply, listed = _listed(client, path="/v2.1/servers/detail?status=ACTIVE")
    assert reply.headers[HEADER] == "cell2"
    assert set(listed) == {servers["a1"]}  # cell2's matches are unknown: none to show
    health = _health(app)
    breaker = health.breaker(cell2_via_proxy.uuid)
    assert breaker is not None and "no answer within 2.0s" in breaker.reason

    reply, listed = _listed(client)
    assert reply.headers[HEADER] == "cell2"
    assert {s["status"] for i, s in listed.items() if i != servers["a1"]} == {"UNKNOWN"}
    assert health.breaker(cell2_via_proxy.uuid).refused == breaker.refused + 1

    proxy.stop()
    proxy.start()
    reply, listed = _wait_until_whole(client)
    assert HEADER not in reply.headers
    assert {s["status"] for s in listed.values()} == {"ACTIVE"}


def test_quota_is_counted_without_the_dead_cell(client, world, proxy, servers,
                                                 cell2_via_proxy):
    placement = PlacementClient(world.placement_endpoint)
    node = str(uuidlib.uuid4())
    placement.ensure_provider(node, "h1")
    placement.set_inventories(node, {"VCPU": {"total": 64}, "MEMORY_MB": {"total": 65536}})
    for instance_uuid in servers.values():
        placement.claim(instance_uuid, {node: {"resources": {"VCPU": 1, "MEMORY_MB": 512}}},
                        "project-a", "alice")
    world.flavor(flavorid="2", name="m1.small", vcpus=2, ram=1024)
    image = world.image()
    client.put("/v2.1/os-quota-sets/project-a", headers=ADMIN,
               json={"quota_set": {"cores": 6, "instances": 5}})

    proxy.stop()
    reply, _listed_servers = _listed(client, version="2.1")
    assert reply.headers[HEADER] == "cell2"
    absolute = client.get("/v2.1/limits", headers=ALICE).json["limits"]["absolute"]
    assert absolute["totalInstancesUsed"] == 3 and absolute["totalCoresUsed"] == 3
    assert absolute["totalRAMUsed"] == 1536
    usage = client.get("/v2.1/os-quota-sets/project-a/detail", headers=ALICE)
    assert usage.json["quota_set"]["cores"]["in_use"] == 3

    body = {"server": {"name": "s", "flavorRef": "2", "imageRef": image.uuid}}
    assert client.post("/v2.1/servers", json=body, headers=ALICE).status_code == 202
    refused = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert refused.status_code == 403
    assert "Quota exceeded for cores: Requested 2, but already used 5 of 6" in \
        refused.json["forbidden"]["message"]
