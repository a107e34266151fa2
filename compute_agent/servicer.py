"""gRPC face of the agent: protobuf in, plain values to the manager, protobuf out."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import grpc

from compute_agent.manager import ComputeManager
from compute_agent.virt import driver
from protos.compute.v1 import compute_pb2, compute_pb2_grpc

T = TypeVar("T")


def _instance_uuid(value: str, context: grpc.ServicerContext) -> str:
    # The uuid ends up in a domain name and XML: accept only a canonical uuid.
    try:
        return str(uuid.UUID(value))
    except ValueError:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad instance uuid {value!r}")


def guest_spec(request: compute_pb2.SpawnRequest, context: grpc.ServicerContext
               ) -> driver.GuestSpec:
    """The guest a SpawnRequest asks for; aborts the call if it is invalid."""
    if request.vcpus < 1 or request.memory_mb < 1:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "vcpus and memory_mb must be >= 1")
    return driver.GuestSpec(instance_uuid=_instance_uuid(request.instance_uuid, context),
                            name=request.name, vcpus=request.vcpus,
                            memory_mb=request.memory_mb, root_gb=request.root_gb,
                            image_ref=request.image_ref,
                            interfaces=tuple((i.network_uuid, i.address, i.mac_address)
                                             for i in request.interfaces))


def _run(context: grpc.ServicerContext, call: Callable[..., T], *args) -> T:
    try:
        return call(*args)
    except driver.InstanceNotFound as error:
        context.abort(grpc.StatusCode.NOT_FOUND, str(error))
    except driver.DriverError as error:
        context.abort(grpc.StatusCode.INTERNAL, str(error))


class ComputeAgentServicer(compute_pb2_grpc.ComputeAgentServicer):
    """cellar.compute.v1.ComputeAgent over a ComputeManager."""

    def __init__(self, manager: ComputeManager) -> None:
        self.manager = manager

    def Spawn(self, request, context):
        state = _run(context, self.manager.spawn, guest_spec(request, context))
        return compute_pb2.SpawnReply(power_state=state)

    def Destroy(self, request, context):
        existed = _run(context, self.manager.destroy,
                       _instance_uuid(request.instance_uuid, context))
        return compute_pb2.DestroyReply(existed=existed)

    def PowerOn(self, request, context):
        state = _run(context, self.manager.power_on,
                     _instance_uuid(request.instance_uuid, context))
        return compute_pb2.PowerOnReply(power_state=state)

    def PowerOff(self, request, context):
        state = _run(context, self.manager.power_off,
                     _instance_uuid(request.instance_uuid, context))
        return compute_pb2.PowerOffReply(power_state=state)

    def Reboot(self, request, context):
        hard = request.reboot_type == compute_pb2.REBOOT_TYPE_HARD
        state = _run(context, self.manager.reboot,
                     _instance_uuid(request.instance_uuid, context), hard)
        return compute_pb2.RebootReply(power_state=state)

    def GetPowerStates(self, request, context):
        wanted = ([_instance_uuid(u, context) for u in request.instance_uuids]
                  if request.instance_uuids else None)
        states = _run(context, self.manager.power_states, wanted)
        return compute_pb2.GetPowerStatesReply(states=[
            compute_pb2.InstancePowerState(instance_uuid=u, power_state=s)
            for u, s in sorted(states.items())])

    def Pause(self, request, context):
        state = _run(context, self.manager.pause,
                     _instance_uuid(request.instance_uuid, context))
        return compute_pb2.PauseReply(power_state=state)

    def Unpause(self, request, context):
        state = _run(context, self.manager.unpause,
                     _instance_uuid(request.instance_uuid, context))
        return compute_pb2.UnpauseReply(power_state=state)

    def Suspend(self, request, context):
        state = _run(context, self.manager.suspend,
                     _instance_uuid(request.instance_uuid, context))
        return compute_pb2.SuspendReply(power_state=state)

    def Resume(self, request, context):
        state = _run(context, self.manager.resume,
                     _instance_uuid(request.instance_uuid, context))
        return compute_pb2.ResumeReply(power_state=state)

    def GetConsoleOutput(self, request, context):
        output = _run(context, self.manager.console_output,
                      _instance_uuid(request.instance_uuid, context),
                      request.length or None)
        return compute_pb2.GetConsoleOutputReply(output=output)
