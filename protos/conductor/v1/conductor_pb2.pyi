from protos.compute.v1 import compute_pb2 as _compute_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterRequest(_message.Message):
    __slots__ = ("host", "rpc_address", "service_version", "hypervisor_type", "vcpus", "memory_mb", "local_gb")
    HOST_FIELD_NUMBER: _ClassVar[int]
    RPC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    HYPERVISOR_TYPE_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GB_FIELD_NUMBER: _ClassVar[int]
    host: str
    rpc_address: str
    service_version: int
    hypervisor_type: str
    vcpus: int
    memory_mb: int
    local_gb: int
    def __init__(self, host: _Optional[str] = ..., rpc_address: _Optional[str] = ..., service_version: _Optional[int] = ..., hypervisor_type: _Optional[str] = ..., vcpus: _Optional[int] = ..., memory_mb: _Optional[int] = ..., local_gb: _Optional[int] = ...) -> None: ...

class RegisterReply(_message.Message):
    __slots__ = ("cell_uuid", "cell_name", "node_uuid", "heartbeat_interval", "service_version")
    CELL_UUID_FIELD_NUMBER: _ClassVar[int]
    CELL_NAME_FIELD_NUMBER: _ClassVar[int]
    NODE_UUID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    SERVICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    cell_uuid: str
    cell_name: str
    node_uuid: str
    heartbeat_interval: float
    service_version: int
    def __init__(self, cell_uuid: _Optional[str] = ..., cell_name: _Optional[str] = ..., node_uuid: _Optional[str] = ..., heartbeat_interval: _Optional[float] = ..., service_version: _Optional[int] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("host", "node_uuid")
    HOST_FIELD_NUMBER: _ClassVar[int]
    NODE_UUID_FIELD_NUMBER: _ClassVar[int]
    host: str
    node_uuid: str
    def __init__(self, host: _Optional[str] = ..., node_uuid: _Optional[str] = ...) -> None: ...

class HeartbeatReply(_message.Message):
    __slots__ = ("disabled",)
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    disabled: bool
    def __init__(self, disabled: _Optional[bool] = ...) -> None: ...

class ReportPowerStatesRequest(_message.Message):
    __slots__ = ("host", "states")
    HOST_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    host: str
    states: _containers.RepeatedCompositeFieldContainer[_compute_pb2.InstancePowerState]
    def __init__(self, host: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_compute_pb2.InstancePowerState, _Mapping]]] = ...) -> None: ...

class ReportPowerStatesReply(_message.Message):
    __slots__ = ("updated",)
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    updated: int
    def __init__(self, updated: _Optional[int] = ...) -> None: ...
