"""Cell mapping changes made with cellar-manage reach running processes within 5 s.

Real pieces, each with its own cell cache at its production refresh interval: the
compute API application (over MariaDB and Redis, answering HTTP requests through its
WSGI test client), a superconductor's builder and scheduler (over the real placement
service), and a cell conductor serving gRPC and its task stream. One cell goes through
its whole life (created, renamed, disabled, moved to another database, deleted) with
``cellar-manage``, and after each step every piece is polled until it shows the change,
with a deadline of 5 s.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import flask
import pytest
import redis as redis_lib

from api_cell.api.app import create_app
from api_cell.manage import cmd as manage
from api_cell.scheduler.scheduler import Scheduler
from api_cell.superconductor.builder import Builder
from cell_services.registry import AgentInfo
from cell_services.service import Conductor, ConductorSettings
from common import liveness, redis_client, tasks
from common.placement_client import PlacementClient
from db import errors
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances
from db.cell import services as cell_services
from tests.functional.api.api_world import ADMIN, make_conf

DEADLINE = 5.0
BIG = {"total": 100000, "reserved": 0, "min_unit": 1, "max_unit": 100000, "step_size": 1,
       "allocation_ratio": 1.0}


def within_deadline(check: Callable[[], object], what: str) -> object:
    """Poll ``check`` until it is truthy; fail if it is not by the 5 s deadline."""
    deadline = time.monotonic() + DEADLINE
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {DEADLINE:g} s: {what}")
        time.sleep(0.1)


class Cloud:
    """The running pieces, plus the commands and probes the test uses."""

    def __init__(self, api_db: str, placement_endpoint: str, redis_url: str, prefix: str,
                 conf_path: str, app: flask.Flask) -> None:
        self.api_db = api_db
        self.redis_url = redis_url
        self.prefix = prefix
        self.conf_path = conf_path
        self.api = app.test_client()
        self.api_cells = app.extensions["cellar"]["backends"].cells
        self.placement = PlacementClient(placement_endpoint)
        self.redis = redis_lib.Redis.from_url(redis_url, decode_responses=True)
        self.sc_cells = api_cells.CellCache(api_db)
        self.scheduler = Scheduler(self.placement, self.redis, prefix, self.sc_cells)
        self.builder = Builder(api_db, self.sc_cells, self.scheduler, self.placement,
                               redis_url, prefix)
        self.conductor: Conductor | None = None

    def manage(self, *args: str) -> None:
        assert manage.main(["--config-file", self.conf_path, *args]) == 0

    def hypervisors(self) -> set[str]:
        reply = self.api.get("/v2.1/os-hypervisors", headers=ADMIN)
        assert reply.status_code == 200, reply.json
        return {h["hypervisor_hostname"] for h in reply.json["hypervisors"]}

    def server_name(self, instance_uuid: str) -> str | None:
        reply = self.api.get(f"/v2.1/servers/{instance_uuid}", headers=ADMIN)
        return reply.json["server"]["name"] if reply.status_code == 200 else None

    def listed(self) -> set[str]:
        reply = self.api.get("/v2.1/servers?all_tenants=1", headers=ADMIN)
        assert reply.status_code == 200, reply.json
        return {s["id"] for s in reply.json["servers"]}

    def new_build(self) -> str:
        instance_uuid = str(uuid.uuid4())
        api_instances.create_build(
            self.api_db, instance_uuid, "proj", "user",
            {"name": f"vm-{instance_uuid[:6]}", "flavor": {"name": "f", "vcpus": 1,
                                                           "ram": 64, "disk": 1},
             "image_ref": "img", "metadata": {}},
            {"resources": {"VCPU": 1, "MEMORY_MB": 64, "DISK_GB": 1},
             "project_id": "proj", "user_id": "user"})
        return instance_uuid

    def build(self, instance_uuid: str) -> int | None:
        """Deliver the build task once, as a superconductor worker does; the cell id its
        mapping points at afterwards (None while the task must be redelivered)."""
        try:
            self.builder.build(instance_uuid, f"req-{instance_uuid}")
        except errors.NotFound:
            return None
        return api_instances.get_mapping(self.api_db, instance_uuid).cell_id

    def start_conductor(self, cell_name: str) -> Conductor:
        settings = ConductorSettings(cell=cell_name, api_url=self.api_db,
                                     redis_url=self.redis_url, key_prefix=self.prefix,
                                     host=f"conductor-{cell_name}", heartbeat_interval=1.0,
                                     workers=1, agent_timeout=5, task_reclaim_idle=5.0)
        self.conductor = Conductor(settings, self.placement)
        self.conductor.start()
        return self.conductor

    def register(self, host: str) -> str:
        """Register ``host`` with the running conductor; the cell name it answers."""
        assert self.conductor is not None
        return self.conductor.registry.register(AgentInfo(
            host=host, rpc_address=f"{host}:1", service_version=1, hypervisor_type="QEMU",
            vcpus=4, memory_mb=4096, local_gb=40)).cell_name

    def close(self) -> None:
        if self.conductor is not None:
            self.conductor.stop(grace=1)
        self.placement.session.close()


@pytest.fixture
def cloud(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix, tmp_path
          ) -> Iterator[Cloud]:
    api_cells.create(api_db, "cell0", cell_dbs["cell0"], cell_uuid=api_cells.CELL0_UUID)
    conf_path = tmp_path / "cellar.conf"
    conf_path.write_text(f"[api_database]\nconnection = {api_db}\n"
                         f"[redis]\nurl = {redis_url}\nkey_prefix = {redis_prefix}\n")
    app = create_app(make_conf(api_db, redis_url, redis_prefix,
                               placement_endpoint=placement_endpoint, cell_timeout=2.0))
    built = Cloud(api_db, placement_endpoint, redis_url, redis_prefix, str(conf_path), app)
    try:
        yield built
    finally:
        built.close()
        app.extensions["cellar"]["backends"].pool.shutdown(wait=True)
        redis_client.close_all()


def test_a_cells_whole_life_reaches_every_running_process(cloud, cell_dbs):
    east_url, other_url = cell_dbs["cell2"], cell_dbs["cell1"]
    node = cell_services.register_compute(east_url, "east-host", "east-host:1", 1, "QEMU",
                                          64, 65536, 1000).node_uuid
    cloud.placement.ensure_provider(node, "east-host")
    cloud.placement.set_inventories(node, {"VCPU": BIG, "MEMORY_MB": BIG, "DISK_GB": BIG})
    # Every cache has read the mappings before each change, so what follows proves a
    # refresh, not a first read.
    assert cloud.hypervisors() == set()
    assert [c.name for c in cloud.sc_cells.cells()] == ["cell0"]

    # Created: the API lists its hypervisor; the superconductor builds in it.
    cloud.manage("cell", "create", "--name", "east", "--database-url", east_url)
    east = api_cells.get(cloud.api_db, "east")
    liveness.mark_up(cloud.redis, cloud.prefix, node, 60,
                     {"host": "east-host", "cell_uuid": east.uuid})
    # No conductor serves east in this test: its alive key stands for one.
    liveness.mark_conductor_up(cloud.redis, cloud.prefix, east.uuid, 3600)
    within_deadline(lambda: "east-host" in cloud.hypervisors(), "API sees the new cell")
    first = cloud.new_build()
    within_deadline(lambda: cloud.build(first) == east.id,
                    "a superconductor builds in the new cell")
    # No agent runs on east-host: drop the build task so the conductor does not try it.
    cloud.redis.delete(tasks.cell_stream_key(cloud.prefix, east.uuid))
    cloud.start_conductor("east")

    # Renamed: every process calls it by its new name.
    cloud.manage("cell", "update", "east", "--name", "west")
    within_deadline(lambda: cloud.api_cells.by_uuid(east.uuid).name == "west",
                    "API knows the new name")
    within_deadline(lambda: cloud.sc_cells.by_uuid(east.uuid).name == "west",
                    "superconductor knows the new name")
    within_deadline(lambda: cloud.register("probe-host") == "west",
                    "conductor answers registrations with the new name")

    # Disabled: new servers go elsewhere (here: nowhere, so cell0); old ones still serve.
    cloud.manage("cell", "disable", "west")

    def next_build_refused() -> bool:
        return cloud.build(cloud.new_build()) == cloud.sc_cells.cell0().id

    within_deadline(next_build_refused, "the scheduler skips the disabled cell")
    assert cloud.server_name(first) == f"vm-{first[:6]}"
    assert first in cloud.listed()

    # Moved to another database: the API reads it there, the conductor writes there.
    row = cell_instances.get(east_url, first)
    cell_instances.create(other_url, **{**{c.key: getattr(row, c.key) for c in
                                           row.__table__.columns if c.key != "id"},
                                        "display_name": "moved-copy"})
    cloud.manage("cell", "update", "west", "--database-url", other_url)
    within_deadline(lambda: cloud.server_name(first) == "moved-copy",
                    "API reads the moved database")
    cloud.register("late-host")

    def conductor_writes_new_database() -> bool:
        cloud.register("late-host")
        try:
            cell_services.get_compute(other_url, "late-host")
            return True
        except errors.NotFound:
            return False

    within_deadline(conductor_writes_new_database, "conductor writes the moved database")
    assert "late-host" in cloud.hypervisors()

    # Deleted (once empty): it is gone from the API and the superconductor.
    for mapping in api_instances.page(cloud.api_db, 1000):
        if mapping.cell_id == east.id:
            api_instances.forget(cloud.api_db, mapping.instance_uuid)
            cloud.placement.release(mapping.instance_uuid)
    cloud.manage("cell", "delete", "west", "--force")
    within_deadline(lambda: cloud.hypervisors() == set(), "API forgets the deleted cell")

    def superconductor_forgot() -> bool:
        try:
            cloud.sc_cells.by_uuid(east.uuid)
            return False
        except errors.NotFound:
            return True

    within_deadline(superconductor_forgot, "superconductor forgets the deleted cell")
    assert cloud.conductor is not None and cloud.conductor.cell.name == "west"
