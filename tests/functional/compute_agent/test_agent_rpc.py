"""The agent serves ComputeAgent over real gRPC, even while its conductor is away."""

import socket
import uuid

import grpc
import pytest

from common.placement_client import PlacementClient
from compute_agent.conductor_client import ConductorClient
from compute_agent.resources import AllocationPolicy, ResourceReporter
from compute_agent.service import Agent
from compute_agent.virt.libvirt import LibvirtDriver
from protos.compute.v1 import compute_pb2, compute_pb2_grpc


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def agent():
    host = f"rpc-{uuid.uuid4().hex[:8]}"
    # Nothing listens at the conductor or placement addresses: the agent keeps
    # retrying its registration while it serves.
    running = Agent(host, LibvirtDriver("test:///default", host, shutdown_timeout=1),
                    ConductorClient(f"127.0.0.1:{_closed_port()}", timeout=1),
                    ResourceReporter(PlacementClient(f"http://127.0.0.1:{_closed_port()}",
                                                     timeout=1), AllocationPolicy()))
    running.start()
    yield running
    running.stop(grace=1)
    cleaner = LibvirtDriver("test:///default", host)
    for instance_uuid in cleaner.power_states():
        cleaner.destroy(instance_uuid)
    cleaner.close()


@pytest.fixture
def stub(agent):
    channel = grpc.insecure_channel(agent.rpc_address)
    yield compute_pb2_grpc.ComputeAgentStub(channel)
    channel.close()


def test_guest_lifecycle_over_grpc(agent, stub):
    assert not agent.registered.is_set()
    instance_uuid = str(uuid.uuid4())
    spawn = compute_pb2.SpawnRequest(instance_uuid=instance_uuid, name="vm", vcpus=1,
                                     memory_mb=64, root_gb=1, image_ref="img")
    assert stub.Spawn(spawn, timeout=5).power_state == compute_pb2.POWER_STATE_RUNNING
    assert stub.Spawn(spawn, timeout=5).power_state == compute_pb2.POWER_STATE_RUNNING
    ref = {"instance_uuid": instance_uuid}
    assert stub.PowerOff(compute_pb2.PowerOffRequest(**ref), timeout=5).power_state == \
        compute_pb2.POWER_STATE_SHUTDOWN
    assert stub.PowerOn(compute_pb2.PowerOnRequest(**ref), timeout=5).power_state == \
        compute_pb2.POWER_STATE_RUNNING
    reboot = compute_pb2.RebootRequest(reboot_type=compute_pb2.REBOOT_TYPE_HARD, **ref)
    assert stub.Reboot(reboot, timeout=5).power_state == compute_pb2.POWER_STATE_RUNNING
    states = stub.GetPowerStates(compute_pb2.GetPowerStatesRequest(), timeout=5).states
    assert [(s.instance_uuid, s.power_state) for s in states] == [
        (instance_uuid, compute_pb2.POWER_STATE_RUNNING)]
    assert stub.Destroy(compute_pb2.DestroyRequest(**ref), timeout=5).existed is True
    assert stub.Destroy(compute_pb2.DestroyRequest(**ref), timeout=5).existed is False


def test_missing_guest_is_not_found(stub):
    with pytest.raises(grpc.RpcError) as raised:
        stub.PowerOn(compute_pb2.PowerOnRequest(instance_uuid=str(uuid.uuid4())), timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
