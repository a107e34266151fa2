"""The agent's servicer: protobuf <-> plain values, and errors -> status codes."""

import uuid

import grpc
import pytest

from compute_agent import servicer
from compute_agent.manager import ComputeManager
from compute_agent.virt import driver
from protos.compute.v1 import compute_pb2


class Aborted(Exception):
    pass


class Context:
    """Records the status a servicer aborts with, as grpc's context would."""

    def abort(self, code, details):
        self.code, self.details = code, details
        raise Aborted(details)


class RecordingDriver(driver.ComputeDriver):
    def __init__(self):
        self.calls = []

    def resources(self):
        raise NotImplementedError

    def spawn(self, spec):
        self.calls.append(("spawn", spec))
        return 1

    def destroy(self, instance_uuid):
        raise driver.DriverError("disk busy")

    def power_on(self, instance_uuid):
        raise driver.InstanceNotFound(instance_uuid)

    def power_off(self, instance_uuid):
        return 4

    def reboot(self, instance_uuid, hard):
        self.calls.append(("reboot", hard))
        return 1

    def power_states(self, instance_uuids=None):
        self.calls.append(("power_states", instance_uuids))
        return {"b": 4, "a": 1}

    def close(self):
        pass


@pytest.fixture
def virt():
    return RecordingDriver()


@pytest.fixture
def service(virt):
    return servicer.ComputeAgentServicer(ComputeManager(virt))


def test_spawn_request_becomes_a_guest_spec(service, virt):
    instance_uuid = str(uuid.uuid4())
    reply = service.Spawn(compute_pb2.SpawnRequest(
        instance_uuid=instance_uuid, name="vm", vcpus=2, memory_mb=256, root_gb=1,
        image_ref="img"), Context())
    assert reply.power_state == compute_pb2.POWER_STATE_RUNNING
    assert virt.calls == [("spawn", driver.GuestSpec(instance_uuid, "vm", 2, 256, 1, "img"))]


@pytest.mark.parametrize("request_fields", [
    {"instance_uuid": "../etc", "vcpus": 1, "memory_mb": 1},
    {"instance_uuid": str(uuid.uuid4()), "vcpus": 0, "memory_mb": 1},
])
def test_invalid_spawn_is_rejected(service, virt, request_fields):
    context = Context()
    with pytest.raises(Aborted):
        service.Spawn(compute_pb2.SpawnRequest(**request_fields), context)
    assert context.code == grpc.StatusCode.INVALID_ARGUMENT
    assert virt.calls == []


def test_missing_guest_is_not_found(service):
    context = Context()
    with pytest.raises(Aborted):
        service.PowerOn(compute_pb2.PowerOnRequest(instance_uuid=str(uuid.uuid4())), context)
    assert context.code == grpc.StatusCode.NOT_FOUND


def test_driver_failure_is_internal(service):
    context = Context()
    with pytest.raises(Aborted):
        service.Destroy(compute_pb2.DestroyRequest(instance_uuid=str(uuid.uuid4())), context)
    assert context.code == grpc.StatusCode.INTERNAL
    assert context.details == "disk busy"


@pytest.mark.parametrize(("reboot_type", "hard"), [
    (compute_pb2.REBOOT_TYPE_HARD, True),
    (compute_pb2.REBOOT_TYPE_SOFT, False),
    (compute_pb2.REBOOT_TYPE_UNSPECIFIED, False),
])
def test_reboot_type(service, virt, reboot_type, hard):
    service.Reboot(compute_pb2.RebootRequest(instance_uuid=str(uuid.uuid4()),
                                             reboot_type=reboot_type), Context())
    assert virt.calls == [("reboot", hard)]


def test_power_states_all_or_listed(service, virt):
    reply = service.GetPowerStates(compute_pb2.GetPowerStatesRequest(), Context())
    assert [(s.instance_uuid, s.power_state) for s in reply.states] == [("a", 1), ("b", 4)]
    wanted = str(uuid.uuid4())
    service.GetPowerStates(compute_pb2.GetPowerStatesRequest(instance_uuids=[wanted]),
                           Context())
    assert virt.calls == [("power_states", None), ("power_states", [wanted])]
