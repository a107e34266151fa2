"""The quota recheck after the claim, on real MariaDB, Redis and a real placement service.

Build requests are written straight into the API DB, as if each had passed the API's
check while racing the others; the superconductor's recheck alone keeps the project
within its limits.
"""

from __future__ import annotations

import re
import threading
import uuid

import pytest
import redis as redis_lib

from api_cell.scheduler.scheduler import Scheduler
from api_cell.superconductor.builder import Builder
from common import liveness, states
from common.placement_client import PlacementClient
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.api import quotas as db_quotas
from db.cell import instances as cell_instances

PROJECT = "quota-proj"
QUOTA_FAULT = re.compile(r"^Quota exceeded for (instances|cores): Requested (\d+), but "
                         r"already used (\d+) of (\d+) (instances|cores)$")


def _inventory(total: int) -> dict:
    return {"total": total, "reserved": 0, "min_unit": 1, "max_unit": total,
            "step_size": 1, "allocation_ratio": 1.0}


class Cloud:
    """cell0 and two cells with one roomy live host each, and a Builder per setting."""

    def __init__(self, api_db, cell_dbs, placement_endpoint, redis_url, prefix) -> None:
        self.api_db = api_db
        self.placement = PlacementClient(placement_endpoint)
        self.cell0 = api_cells.create(api_db, "cell0", cell_dbs["cell0"],
                                      cell_uuid=api_cells.CELL0_UUID)
        self.cells = [api_cells.create(api_db, name, cell_dbs[name])
                      for name in ("cell1", "cell2")]
        client = redis_lib.Redis.from_url(redis_url, decode_responses=True)
        for cell in self.cells:
            node = str(uuid.uuid4())
            self.placement.ensure_provider(node, f"{cell.name}-host")
            self.placement.set_inventories(node, {
                "VCPU": _inventory(64), "MEMORY_MB": _inventory(65536),
                "DISK_GB": _inventory(1000)})
            liveness.mark_up(client, prefix, node, 60,
                             {"host": f"{cell.name}-host", "cell_uuid": cell.uuid})
            liveness.mark_conductor_up(client, prefix, cell.uuid, 3600)
        cache = api_cells.CellCache(api_db, max_age=0)
        self.scheduler = Scheduler(self.placement, client, prefix, cache)
        self.builder = Builder(api_db, cache, self.scheduler, self.placement, redis_url,
                               prefix)
        self.unchecked_builder = Builder(api_db, cache, self.scheduler, self.placement,
                                         redis_url, prefix, recheck_quota=False)

    def new_builds(self, count: int, vcpus: int = 1) -> list[str]:
        """``count`` build requests of the project that no quota check has seen."""
        uuids = []
        for _ in range(count):
            instance_uuid = str(uuid.uuid4())
            flavor = {"name": "f", "vcpus": vcpus, "ram": 256, "disk": 1}
            api_instances.create_build(
                self.api_db, instance_uuid, PROJECT, "user",
                {"name": "vm", "flavor": flavor, "image_ref": "img", "metadata": {}},
                {"resources": {"VCPU": vcpus, "MEMORY_MB": 256, "DISK_GB": 1},
                 "project_id": PROJECT, "user_id": "user"})
            uuids.append(instance_uuid)
        return uuids

    def build_all_at_once(self, uuids: list[str]) -> None:
        """One thread per build, all released together; any error fails the test."""
        start = threading.Barrier(len(uuids))
        failures: list[BaseException] = []

        def run(instance_uuid: str) -> None:
            start.wait()
            try:
                self.builder.build(instance_uuid, f"req-{instance_uuid}")
            except BaseException as error:  # reported to the test below
                failures.append(error)

        threads = [threading.Thread(target=run, args=(u,)) for u in uuids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []

    def outcome(self, uuids: list[str]) -> tuple[list[str], dict[str, str]]:
        """(builds placed in a real cell, {build in cell0: its fault message})."""
        placed, failed = [], {}
        for instance_uuid in uuids:
            mapping = api_instances.get_mapping(self.api_db, instance_uuid)
            if mapping.cell_id == self.cell0.id:
                url = self.cell0.database_connection
                assert cell_instances.get(url, instance_uuid).vm_state == states.ERROR
                faults = cell_instances.latest_faults(url, [instance_uuid])
                failed[instance_uuid] = faults[instance_uuid].message
            else:
                assert mapping.cell_id in {cell.id for cell in self.cells}
                placed.append(instance_uuid)
        return placed, failed

    def allocated(self, instance_uuid: str) -> bool:
        return bool(self.placement.allocations(instance_uuid)["allocations"])


@pytest.fixture
def cloud(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix) -> Cloud:
    return Cloud(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix)


def _assert_failed_for_quota(cloud: Cloud, failed: dict[str, str], resource: str) -> None:
    for instance_uuid, message in failed.items():
        match = QUOTA_FAULT.match(message)
        assert match is not None, message
        assert match.group(1) == resource
        assert not cloud.allocated(instance_uuid)
        for cell in cloud.cells:
            assert cell_instances.get_many(cell.database_connection, [instance_uuid]) == {}


@pytest.mark.parametrize("limit", [1, 3])
def test_racing_builds_never_exceed_the_instances_quota(cloud, limit):
    db_quotas.set_limits(cloud.api_db, PROJECT, {"instances": limit})
    uuids = cloud.new_builds(2 * limit + 2)
    cloud.build_all_at_once(uuids)

    placed, failed = cloud.outcome(uuids)
    assert len(placed) <= limit
    assert len(placed) + len(failed) == len(uuids)
    assert all(cloud.allocated(u) for u in placed)
    _assert_failed_for_quota(cloud, failed, "instances")
    assert cloud.placement.project_usages(PROJECT).get("VCPU", 0) == len(placed)


def test_racing_builds_never_exceed_the_cores_quota(cloud):
    db_quotas.set_limits(cloud.api_db, PROJECT, {"cores": 5})
    uuids = cloud.new_builds(6, vcpus=2)
    cloud.build_all_at_once(uuids)

    placed, failed = cloud.outcome(uuids)
    assert len(placed) <= 2
    assert len(placed) + len(failed) == len(uuids)
    assert all(cloud.allocated(u) for u in placed)
    _assert_failed_for_quota(cloud, failed, "cores")
    assert cloud.placement.project_usages(PROJECT).get("VCPU", 0) == 2 * len(placed)


def test_builds_one_after_another_fill_the_quota_exactly(cloud):
    db_quotas.set_limits(cloud.api_db, PROJECT, {"instances": 3})
    uuids = cloud.new_builds(5)
    for instance_uuid in uuids:
        cloud.builder.build(instance_uuid, "req")

    placed, failed = cloud.outcome(uuids)
    assert placed == uuids[:3]
    # The first refused build sees the three placed ones; the next one also sees the
    # first refused, which stays in ERROR and counts as an instance, as in Nova.
    assert [failed[u] for u in uuids[3:]] == [
        "Quota exceeded for instances: Requested 1, but already used 3 of 3 instances",
        "Quota exceeded for instances: Requested 1, but already used 4 of 3 instances"]
    _assert_failed_for_quota(cloud, failed, "instances")
    code = cell_instances.latest_faults(cloud.cell0.database_connection, [uuids[3]])
    assert code[uuids[3]].code == 413


def test_redelivered_build_is_not_measured_against_its_own_claim(cloud):
    db_quotas.set_limits(cloud.api_db, PROJECT, {"instances": 1, "cores": 2})
    [instance_uuid] = cloud.new_builds(1, vcpus=2)
    # A first delivery claimed (and passed the recheck), then its worker died.
    spec = api_instances.get_build(cloud.api_db, instance_uuid).spec
    cloud.scheduler.select(instance_uuid, spec)
    cloud.builder.build(instance_uuid, "req")
    cloud.builder.build(instance_uuid, "req")

    placed, failed = cloud.outcome([instance_uuid])
    assert (placed, failed) == ([instance_uuid], {})
    assert cloud.placement.project_usages(PROJECT)["VCPU"] == 2


def test_claim_of_a_build_over_quota_is_released_and_its_row_purged(cloud):
    db_quotas.set_limits(cloud.api_db, PROJECT, {"instances": 1})
    first, second = cloud.new_builds(2)
    cloud.builder.build(first, "req")
    # An earlier delivery of the second build claimed before the project was full and
    # created the instance in the claimed host's cell, then its worker died.
    selection = cloud.scheduler.select(
        second, api_instances.get_build(cloud.api_db, second).spec)
    claimed_cell = next(c for c in cloud.cells if c.uuid == selection.cell_uuid)
    cell_instances.create(claimed_cell.database_connection, uuid=second, project_id=PROJECT,
                          user_id="user", display_name="vm", flavor={}, host=selection.host,
                          node=selection.host, vm_state=states.BUILDING,
                          task_state=states.SPAWNING)
    cloud.builder.build(second, "req")

    placed, failed = cloud.outcome([first, second])
    assert placed == [first]
    assert failed == {second: "Quota exceeded for instances: Requested 1, but already "
                              "used 1 of 1 instances"}
    _assert_failed_for_quota(cloud, failed, "instances")


def test_without_the_recheck_racing_builds_all_get_through(cloud):
    db_quotas.set_limits(cloud.api_db, PROJECT, {"instances": 1})
    uuids = cloud.new_builds(3)
    for instance_uuid in uuids:
        cloud.unchecked_builder.build(instance_uuid, "req")
    placed, failed = cloud.outcome(uuids)
    assert (len(placed), failed) == (3, {})
