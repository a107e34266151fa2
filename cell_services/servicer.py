"""gRPC face of the conductor: protobuf in, plain values to the registry, protobuf out."""

from __future__ import annotations

import grpc

from cell_services.registry import AgentInfo, AgentTooOld, HostRegistry, Registration
from db import errors
from protos.conductor.v1 import conductor_pb2, conductor_pb2_grpc


def agent_info(request: conductor_pb2.RegisterRequest) -> AgentInfo:
    """The plain form of a RegisterRequest."""
    return AgentInfo(host=request.host, rpc_address=request.rpc_address,
                     service_version=request.service_version,
                     hypervisor_type=request.hypervisor_type, vcpus=request.vcpus,
                     memory_mb=request.memory_mb, local_gb=request.local_gb)


def register_reply(registration: Registration) -> conductor_pb2.RegisterReply:
    """The RegisterReply of a registry Registration."""
    return conductor_pb2.RegisterReply(
        cell_uuid=registration.cell_uuid, cell_name=registration.cell_name,
        node_uuid=registration.node_uuid,
        heartbeat_interval=registration.heartbeat_interval,
        service_version=registration.service_version)


class ConductorServicer(conductor_pb2_grpc.ConductorServicer):
    """cellar.conductor.v1.Conductor over a HostRegistry."""

    def __init__(self, registry: HostRegistry) -> None:
        self.registry = registry

    def Register(self, request, context):
        try:
            return register_reply(self.registry.register(agent_info(request)))
        except ValueError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except AgentTooOld as error:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        except errors.Conflict as error:
            context.abort(grpc.StatusCode.ALREADY_EXISTS, str(error))

    def Heartbeat(self, request, context):
        try:
            compute = self.registry.heartbeat(request.host, request.node_uuid)
        except errors.NotFound as error:
            context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        return conductor_pb2.HeartbeatReply(disabled=compute.disabled)

    def ReportPowerStates(self, request, context):
        reported = {s.instance_uuid: s.power_state for s in request.states}
        updated = self.registry.report_power_states(request.host, reported)
        return conductor_pb2.ReportPowerStatesReply(updated=updated)
