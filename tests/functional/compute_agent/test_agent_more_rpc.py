"""Pause, Unpause, Suspend, Resume and GetConsoleOutput over real gRPC."""

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
def stub():
    host = f"rpc2-{uuid.uuid4().hex[:8]}"
    agent = Agent(host, LibvirtDriver("test:///default", host, shutdown_timeout=1),
                  ConductorClient(f"127.0.0.1:{_closed_port()}", timeout=1),
                  ResourceReporter(PlacementClient(f"http://127.0.0.1:{_closed_port()}",
                                                   timeout=1), AllocationPolicy()))
    agent.start()
    channel = grpc.insecure_channel(agent.rpc_address)
    yield compute_pb2_grpc.ComputeAgentStub(channel)
    channel.close()
    agent.stop(grace=1)
    cleaner = LibvirtDriver("test:///default", host)
    for instance_uuid in cleaner.power_states():
        cleaner.destroy(instance_uuid)
    cleaner.close()


def test_pause_suspend_and_console_over_grpc(stub):
    instance_uuid = str(uuid.uuid4())
    ref = {"instance_uuid": instance_uuid}
    stub.Spawn(compute_pb2.SpawnRequest(name="vm", vcpus=1, memory_mb=64, root_gb=1,
                                        image_ref="img", **ref), timeout=5)
    assert stub.Pause(compute_pb2.PauseRequest(**ref), timeout=5).power_state == \
        compute_pb2.POWER_STATE_PAUSED
    assert stub.Unpause(compute_pb2.UnpauseRequest(**ref), timeout=5).power_state == \
        compute_pb2.POWER_STATE_RUNNING
    assert stub.Suspend(compute_pb2.SuspendRequest(**ref), timeout=5).power_state == \
        compute_pb2.POWER_STATE_SHUTDOWN
    assert stub.Resume(compute_pb2.ResumeRequest(**ref), timeout=5).power_state == \
        compute_pb2.POWER_STATE_RUNNING
    whole = stub.GetConsoleOutput(compute_pb2.GetConsoleOutputRequest(**ref), timeout=5)
    assert "vm login: " in whole.output and whole.output.endswith("PM: suspend exit\n")
    tail = stub.GetConsoleOutput(compute_pb2.GetConsoleOutputRequest(length=1, **ref),
                                 timeout=5)
    assert tail.output == "PM: suspend exit\n"


@pytest.mark.parametrize("call,message", [
    ("Pause", compute_pb2.PauseRequest), ("Resume", compute_pb2.ResumeRequest),
    ("GetConsoleOutput", compute_pb2.GetConsoleOutputRequest),
])
def test_missing_guest_is_not_found(stub, call, message):
    with pytest.raises(grpc.RpcError) as raised:
        getattr(stub, call)(message(instance_uuid=str(uuid.uuid4())), timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_bad_uuid_is_invalid_argument(stub):
    with pytest.raises(grpc.RpcError) as raised:
        stub.Suspend(compute_pb2.SuspendRequest(instance_uuid="../etc"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
