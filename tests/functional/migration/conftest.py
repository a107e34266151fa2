"""A whole Cellar in this process for moves between cells.

Real MariaDB (API, cell0, cell1, cell2), Redis streams, the placement service over
HTTP, a conductor per cell serving gRPC on loopback, compute agents over gRPC, and
superconductor workers consuming the build stream. Each agent has a private libvirt
test hypervisor (a ``test:///path/node.xml`` connection), as separate hosts have:
``test:///default`` is one hypervisor shared by the process, where two hosts would see
each other's guests of the same instance.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis as redis_lib
import sqlalchemy as sa

from api_cell.api.app import create_app
from api_cell.manage import cmd as manage
from api_cell.scheduler.scheduler import Scheduler
from api_cell.superconductor import cmd as superconductor
from api_cell.superconductor.builder import Builder
from api_cell.superconductor.cell_migration import CellMover, migration_uuid_for
from cell_services.service import Conductor, ConductorSettings
from common import states, tasks, workers
from common.placement_client import PlacementClient
from compute_agent.conductor_client import ConductorClient
from compute_agent.resources import AllocationPolicy, ResourceReporter
from compute_agent.service import Agent
from compute_agent.virt.libvirt import LibvirtDriver
from db import errors
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.api import quotas as db_quotas
from db.cell import instances as cell_instances
from db.cell.models import InstanceAction, InstanceFault
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, make_conf

HEARTBEAT = 0.3
FLAVOR = {"id": "1", "name": "tiny", "vcpus": 1, "ram": 64, "disk": 1, "ephemeral": 0,
          "swap": 0, "extra_specs": {}}
RESOURCES = {"VCPU": 1, "MEMORY_MB": 64, "DISK_GB": 1}
NODE = ("<node><cpu><mhz>2000</mhz><model>x86_64</model><active>32</active><nodes>1</nodes>"
        "<sockets>1</sockets><cores>32</cores><threads>1</threads></cpu>"
        "<memory>67108864</memory></node>")


def wait_for(check: Callable[[], object], timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class World:
    """Cells cell1 and cell2 with conductors and agents, placement, superconductors."""

    wait = staticmethod(wait_for)

    def __init__(self, api_db, cell_dbs, placement_endpoint, redis_url, prefix,
                 tmp_path) -> None:
        self.api_db = api_db
        self.redis_url = redis_url
        self.prefix = prefix
        self.redis = redis_lib.Redis.from_url(redis_url, decode_responses=True)
        self.placement_endpoint = placement_endpoint
        self.placement = PlacementClient(placement_endpoint)
        self.node_file = tmp_path / "node.xml"
        self.node_file.write_text(NODE)
        self.conf_path = str(tmp_path / "cellar.conf")
        with open(self.conf_path, "w") as conf:
            conf.write(f"[api_database]\nconnection = {api_db}\n"
                       f"[redis]\nurl = {redis_url}\nkey_prefix = {prefix}\n")
        self.cell0 = api_cells.create(api_db, "cell0", cell_dbs["cell0"],
                                      cell_uuid=api_cells.CELL0_UUID)
        self.cells = {name: api_cells.create(api_db, name, cell_dbs[name])
                      for name in ("cell1", "cell2")}
        self.conductors: dict[str, Conductor] = {}
        self.agents: dict[str, Agent] = {}
        self.cache = api_cells.CellCache(api_db, max_age=0)
        self.scheduler = Scheduler(self.placement, self.redis, prefix, self.cache)
        self.builder = Builder(api_db, self.cache, self.scheduler, self.placement, redis_url,
                               prefix)
        # Builds are written here, past the API's quota check; the superconductor's
        # recheck would hold "proj" to the default of 10 instances.
        db_quotas.set_limits(api_db, "proj", {"instances": -1})
        self.mover = CellMover(api_db, self.cache, self.scheduler, self.placement,
                               redis_url, prefix, receive_timeout=20.0, poll_interval=0.05)
        self.stop = threading.Event()
        self.workers: list[workers.StreamWorker] = []

    # -- processes -------------------------------------------------------------------

    def start_conductor(self, cell_name: str) -> Conductor:
        settings = ConductorSettings(cell=cell_name, api_url=self.api_db,
                                     redis_url=self.redis_url, key_prefix=self.prefix,
                                     host=f"conductor-{cell_name}",
                                     heartbeat_interval=HEARTBEAT, workers=2,
                                     agent_timeout=5, task_reclaim_idle=2.0)
        conductor = Conductor(settings, self.placement)
        conductor.start()
        self.conductors[cell_name] = conductor
        return conductor

    def start_agent(self, cell_name: str, host: str | None = None) -> Agent:
        host = host or f"{cell_name}-{uuid.uuid4().hex[:6]}"
        conductor = self.conductors[cell_name]
        agent = Agent(host, LibvirtDriver(f"test://{self.node_file}", host, local_gb=100,
                                          shutdown_timeout=1, poll_interval=0.05),
                      ConductorClient(conductor.address, timeout=5),
                      ResourceReporter(PlacementClient(self.placement_endpoint),
                                       AllocationPolicy()),
                      audit_interval=1.0)
        agent.start()
        assert agent.registered.wait(10), "agent did not register"
        node = agent.registration.node_uuid
        wait_for(lambda: self.placement.provider(node)
                 and self.placement.inventories(node)["inventories"], what="inventory")
        self.agents[host] = agent
        return agent

    # Long enough that a build slowed by a loaded machine (CI runs two test workers on
    # two cores) is not handed to a second worker while the first still runs it.
    def start_superconductors(self, count: int = 3, reclaim_idle: float = 4.0,
                              handle: Callable[[tasks.Task], None] | None = None) -> None:
        handle = handle or superconductor.make_handler(self.builder, self.mover)
        for index in range(count):
            stream = tasks.TaskStream(self.redis, tasks.build_stream_key(self.prefix),
                                      tasks.SUPERCONDUCTOR_GROUP)
            worker = workers.StreamWorker(stream, f"sc-{index}", handle, self.stop,
                                          reclaim_idle, batch=1)
            worker.start()
            self.workers.append(worker)

    def close(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join()
        for agent in self.agents.values():
            agent.stop(grace=1)
        for conductor in self.conductors.values():
            conductor.stop(grace=1)
        self.placement.session.close()

    # -- actions ---------------------------------------------------------------------

    def boot(self, count: int = 1, cell_name: str = "cell1") -> list[str]:
        """Servers through the real boot flow, all in ``cell_name``, ACTIVE."""
        others = [name for name in self.cells if name != cell_name]
        for name in others:
            api_cells.update(self.api_db, name, disabled=True)
        stream = tasks.TaskStream(self.redis, tasks.build_stream_key(self.prefix),
                                  tasks.SUPERCONDUCTOR_GROUP)
        uuids = []
        try:
            for _ in range(count):
                instance_uuid = str(uuid.uuid4())
                api_instances.create_build(
                    self.api_db, instance_uuid, "proj", "user",
                    {"name": f"vm-{instance_uuid[:4]}", "flavor": FLAVOR,
                     "image_ref": "cirros", "metadata": {"k": "v"}},
                    {"resources": RESOURCES, "project_id": "proj", "user_id": "user"})
                stream.add("build", {"instance_uuid": instance_uuid}, f"req-{instance_uuid}")
                uuids.append(instance_uuid)
            url = self.cells[cell_name].database_connection
            wait_for(lambda: self._all_active(url, uuids),
                     what=f"{count} server(s) ACTIVE in {cell_name}")
        finally:
            for name in others:
                api_cells.update(self.api_db, name, disabled=False)
        return uuids

    @staticmethod
    def _all_active(cell_url: str, uuids: list[str]) -> bool:
        """Every one of ``uuids`` ACTIVE with no task left (the conductor clears
        task_state last), from one read: counting the rows in a second read let a row
        created in between pass while still building."""
        rows = cell_instances.get_many(cell_url, uuids)
        return len(rows) == len(uuids) and all(
            r.vm_state == states.ACTIVE and r.task_state is None for r in rows.values())

    def manage(self, *args: str) -> int:
        return manage.main(["--config-file", self.conf_path, *args])

    def queue_move(self, instance_uuid: str, target: str = "cell2") -> str:
        """What ``cell migrate-instance --no-wait`` does; returns the request id."""
        assert self.manage("cell", "migrate-instance", instance_uuid, "--to-cell", target,
                           "--no-wait") == 0
        return self.action_request_id(instance_uuid)

    def action_request_id(self, instance_uuid: str) -> str:
        for cell in self.cells.values():
            with session_for(cell.database_connection) as session:
                found = session.scalars(sa.select(InstanceAction.request_id).where(
                    InstanceAction.instance_uuid == instance_uuid,
                    InstanceAction.action == "migrate").order_by(InstanceAction.id.desc())
                ).first()
            if found:
                return found
        raise AssertionError("no migrate action")

    # -- what the tests look at ------------------------------------------------------

    def cell_of(self, instance_uuid: str) -> str:
        cell_id = api_instances.get_mapping(self.api_db, instance_uuid).cell_id
        return next(name for name, cell in self.cells.items() if cell.id == cell_id)

    def rows(self, instance_uuid: str) -> dict[str, object]:
        """The instance's row in each cell that has one (soft-deleted ones included)."""
        found = {}
        for name, cell in [("cell0", self.cell0), *self.cells.items()]:
            try:
                found[name] = cell_instances.get(cell.database_connection, instance_uuid,
                                                 read_deleted=True)
            except errors.NotFound:
                pass
        return found

    def guests(self, instance_uuid: str) -> dict[str, int]:
        """Power state of the instance's guest on every host that has one."""
        return {host: state for host, agent in self.agents.items()
                for uuid_, state in agent.virt.power_states([instance_uuid]).items()
                if uuid_ == instance_uuid}

    def node(self, host: str) -> str:
        return self.agents[host].registration.node_uuid

    def usages(self) -> dict[str, dict[str, int]]:
        return {host: self.placement.provider_usages(agent.registration.node_uuid)
                for host, agent in self.agents.items()}

    def faults(self, cell_name: str, instance_uuid: str) -> list[str]:
        with session_for(self.cells[cell_name].database_connection) as session:
            return list(session.scalars(sa.select(InstanceFault.message).where(
                InstanceFault.instance_uuid == instance_uuid).order_by(InstanceFault.id)))

    def actions(self, cell_name: str, instance_uuid: str) -> dict[str, list[tuple]]:
        with session_for(self.cells[cell_name].database_connection) as session:
            rows = session.scalars(sa.select(InstanceAction).where(
                InstanceAction.instance_uuid == instance_uuid).order_by(InstanceAction.id))
            return {a.action: [(e.event, e.result) for e in a.events] for a in rows}

    def assert_lives_only_in(self, instance_uuid: str, cell_name: str,
                             vm_state: str = states.ACTIVE) -> None:
        """Exactly one live copy, in ``cell_name``, mapped there, with exactly its
        allocation and its guest, and nothing of a move left behind."""
        rows = self.rows(instance_uuid)
        assert list(rows) == [cell_name], rows
        row = rows[cell_name]
        assert (row.vm_state, row.task_state, row.deleted) == (vm_state, None, 0)
        expected_power = states.RUNNING if vm_state == states.ACTIVE else states.SHUTDOWN
        assert row.power_state == expected_power
        assert self.cell_of(instance_uuid) == cell_name
        host_cells = {host: name for name, cell in self.cells.items()
                      for host in self.hosts_in(name)}
        assert host_cells[row.host] == cell_name
        assert self.guests(instance_uuid) == {row.host: expected_power}
        allocations = self.placement.allocations(instance_uuid)["allocations"]
        assert list(allocations) == [self.node(row.host)]
        assert allocations[self.node(row.host)]["resources"] == RESOURCES
        for request_id in self.migrate_request_ids(cell_name, instance_uuid):
            migration = migration_uuid_for(instance_uuid, request_id)
            assert self.placement.allocations(migration)["allocations"] == {}

    def hosts_in(self, cell_name: str) -> list[str]:
        cell_uuid = self.cells[cell_name].uuid
        return [host for host, agent in self.agents.items()
                if agent.registration.cell_uuid == cell_uuid]

    def migrate_request_ids(self, cell_name: str, instance_uuid: str) -> list[str]:
        with session_for(self.cells[cell_name].database_connection) as session:
            return list(session.scalars(sa.select(InstanceAction.request_id).where(
                InstanceAction.instance_uuid == instance_uuid,
                InstanceAction.action == "migrate")))


@pytest.fixture
def world(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix, tmp_path
          ) -> Iterator[World]:
    """Both cells with a conductor and one host each, and three superconductor workers."""
    built = World(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix, tmp_path)
    try:
        for name in ("cell1", "cell2"):
            built.start_conductor(name)
            built.start_agent(name, host=f"{name}-host")
        built.start_superconductors()
        yield built
    finally:
        built.close()


@pytest.fixture
def os_migrations(world: World) -> Iterator[Callable[[str], list[dict]]]:
    """``GET /os-migrations{query}`` at 2.80 as an admin, through the compute API over
    the world's databases; the migrations it lists."""
    app = create_app(make_conf(world.api_db, world.redis_url, world.prefix,
                               placement_endpoint=world.placement_endpoint))
    client = app.test_client()

    def listed(query: str = "") -> list[dict]:
        reply = client.get(f"/v2.1/os-migrations{query}",
                           headers={**ADMIN, "OpenStack-API-Version": "compute 2.80"})
        assert reply.status_code == 200, reply.json
        return reply.json["migrations"]

    yield listed
    # The shared Redis clients stay open: the world's conductors still use them.
    backends = app.extensions["cellar"]["backends"]
    backends.health.stop()
    backends.pool.shutdown(wait=True)
