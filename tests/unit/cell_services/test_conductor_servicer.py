"""The conductor's servicer: protobuf <-> plain values, and errors -> status codes."""

import grpc
import pytest

from cell_services import servicer
from cell_services.registry import AgentTooOld, Registration
from db import errors
from db.cell.services import ComputeHost
from protos.compute.v1 import compute_pb2
from protos.conductor.v1 import conductor_pb2


class Aborted(Exception):
    pass


class Context:
    def abort(self, code, details):
        self.code = code
        raise Aborted(details)


class Registry:
    """Stands in for HostRegistry: records calls, raises what it is told to."""

    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def register(self, agent):
        self.calls.append(agent)
        if self.error:
            raise self.error
        return Registration(cell_uuid="c-uuid", cell_name="cell1", node_uuid="n-uuid",
                            heartbeat_interval=0.5, service_version=3)

    def heartbeat(self, host, node_uuid):
        self.calls.append((host, node_uuid))
        if self.error:
            raise self.error
        return ComputeHost(host=host, node_uuid="n", rpc_address="a", version=1,
                           disabled=True, last_seen_up=None)

    def report_power_states(self, host, reported):
        self.calls.append((host, reported))
        return len(reported)


def test_register_converts_both_ways():
    registry = Registry()
    reply = servicer.ConductorServicer(registry).Register(conductor_pb2.RegisterRequest(
        host="h1", rpc_address="10.0.0.1:5000", service_version=1, hypervisor_type="QEMU",
        vcpus=4, memory_mb=2048, local_gb=20), Context())
    agent = registry.calls[0]
    assert (agent.host, agent.rpc_address, agent.service_version, agent.hypervisor_type,
            agent.vcpus, agent.memory_mb, agent.local_gb) == (
        "h1", "10.0.0.1:5000", 1, "QEMU", 4, 2048, 20)
    assert (reply.cell_uuid, reply.cell_name, reply.node_uuid, reply.heartbeat_interval,
            reply.service_version) == ("c-uuid", "cell1", "n-uuid", 0.5, 3)


@pytest.mark.parametrize(("error", "code"), [
    (ValueError("no host"), grpc.StatusCode.INVALID_ARGUMENT),
    (AgentTooOld("old"), grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Conflict("other cell"), grpc.StatusCode.ALREADY_EXISTS),
])
def test_register_errors(error, code):
    context = Context()
    with pytest.raises(Aborted):
        servicer.ConductorServicer(Registry(error)).Register(
            conductor_pb2.RegisterRequest(host="h1"), context)
    assert context.code == code


def test_heartbeat_of_unknown_host_is_not_found():
    context = Context()
    with pytest.raises(Aborted):
        servicer.ConductorServicer(Registry(errors.NotFound("who"))).Heartbeat(
            conductor_pb2.HeartbeatRequest(host="h1"), context)
    assert context.code == grpc.StatusCode.NOT_FOUND


def test_heartbeat_reports_disabled():
    registry = Registry()
    reply = servicer.ConductorServicer(registry).Heartbeat(
        conductor_pb2.HeartbeatRequest(host="h1", node_uuid="n1"), Context())
    assert registry.calls == [("h1", "n1")]
    assert reply.disabled is True


def test_power_states_become_a_dict():
    registry = Registry()
    reply = servicer.ConductorServicer(registry).ReportPowerStates(
        conductor_pb2.ReportPowerStatesRequest(host="h1", states=[
            compute_pb2.InstancePowerState(instance_uuid="u1", power_state=1),
            compute_pb2.InstancePowerState(instance_uuid="u2", power_state=4)]), Context())
    assert registry.calls == [("h1", {"u1": 1, "u2": 4})]
    assert reply.updated == 2
