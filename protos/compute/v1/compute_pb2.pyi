from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PowerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POWER_STATE_NOSTATE: _ClassVar[PowerState]
    POWER_STATE_RUNNING: _ClassVar[PowerState]
    POWER_STATE_PAUSED: _ClassVar[PowerState]
    POWER_STATE_SHUTDOWN: _ClassVar[PowerState]
    POWER_STATE_CRASHED: _ClassVar[PowerState]
    POWER_STATE_SUSPENDED: _ClassVar[PowerState]

class RebootType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REBOOT_TYPE_UNSPECIFIED: _ClassVar[RebootType]
    REBOOT_TYPE_SOFT: _ClassVar[RebootType]
    REBOOT_TYPE_HARD: _ClassVar[RebootType]
POWER_STATE_NOSTATE: PowerState
POWER_STATE_RUNNING: PowerState
POWER_STATE_PAUSED: PowerState
POWER_STATE_SHUTDOWN: PowerState
POWER_STATE_CRASHED: PowerState
POWER_STATE_SUSPENDED: PowerState
REBOOT_TYPE_UNSPECIFIED: RebootType
REBOOT_TYPE_SOFT: RebootType
REBOOT_TYPE_HARD: RebootType

class SpawnRequest(_message.Message):
    __slots__ = ("instance_uuid", "name", "vcpus", "memory_mb", "root_gb", "image_ref", "interfaces")
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    ROOT_GB_FIELD_NUMBER: _ClassVar[int]
    IMAGE_REF_FIELD_NUMBER: _ClassVar[int]
    INTERFACES_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image_ref: str
    interfaces: _containers.RepeatedCompositeFieldContainer[NetworkInterface]
    def __init__(self, instance_uuid: _Optional[str] = ..., name: _Optional[str] = ..., vcpus: _Optional[int] = ..., memory_mb: _Optional[int] = ..., root_gb: _Optional[int] = ..., image_ref: _Optional[str] = ..., interfaces: _Optional[_Iterable[_Union[NetworkInterface, _Mapping]]] = ...) -> None: ...

class NetworkInterface(_message.Message):
    __slots__ = ("network_uuid", "address", "mac_address")
    NETWORK_UUID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    network_uuid: str
    address: str
    mac_address: str
    def __init__(self, network_uuid: _Optional[str] = ..., address: _Optional[str] = ..., mac_address: _Optional[str] = ...) -> None: ...

class SpawnReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class DestroyRequest(_message.Message):
    __slots__ = ("instance_uuid",)
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    def __init__(self, instance_uuid: _Optional[str] = ...) -> None: ...

class DestroyReply(_message.Message):
    __slots__ = ("existed",)
    EXISTED_FIELD_NUMBER: _ClassVar[int]
    existed: bool
    def __init__(self, existed: _Optional[bool] = ...) -> None: ...

class PowerOnRequest(_message.Message):
    __slots__ = ("instance_uuid",)
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    def __init__(self, instance_uuid: _Optional[str] = ...) -> None: ...

class PowerOnReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class PowerOffRequest(_message.Message):
    __slots__ = ("instance_uuid",)
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    def __init__(self, instance_uuid: _Optional[str] = ...) -> None: ...

class PowerOffReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class RebootRequest(_message.Message):
    __slots__ = ("instance_uuid", "reboot_type")
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    REBOOT_TYPE_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    reboot_type: RebootType
    def __init__(self, instance_uuid: _Optional[str] = ..., reboot_type: _Optional[_Union[RebootType, str]] = ...) -> None: ...

class RebootReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class GetPowerStatesRequest(_message.Message):
    __slots__ = ("instance_uuids",)
    INSTANCE_UUIDS_FIELD_NUMBER: _ClassVar[int]
    instance_uuids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, instance_uuids: _Optional[_Iterable[str]] = ...) -> None: ...

class InstancePowerState(_message.Message):
    __slots__ = ("instance_uuid", "power_state")
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    power_state: PowerState
    def __init__(self, instance_uuid: _Optional[str] = ..., power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class GetPowerStatesReply(_message.Message):
    __slots__ = ("states",)
    STATES_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedCompositeFieldContainer[InstancePowerState]
    def __init__(self, states: _Optional[_Iterable[_Union[InstancePowerState, _Mapping]]] = ...) -> None: ...

class PauseRequest(_message.Message):
    __slots__ = ("instance_uuid",)
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    def __init__(self, instance_uuid: _Optional[str] = ...) -> None: ...

class PauseReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class UnpauseRequest(_message.Message):
    __slots__ = ("instance_uuid",)
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    def __init__(self, instance_uuid: _Optional[str] = ...) -> None: ...

class UnpauseReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class SuspendRequest(_message.Message):
    __slots__ = ("instance_uuid",)
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    def __init__(self, instance_uuid: _Optional[str] = ...) -> None: ...

class SuspendReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class ResumeRequest(_message.Message):
    __slots__ = ("instance_uuid",)
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    def __init__(self, instance_uuid: _Optional[str] = ...) -> None: ...

class ResumeReply(_message.Message):
    __slots__ = ("power_state",)
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    power_state: PowerState
    def __init__(self, power_state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class GetConsoleOutputRequest(_message.Message):
    __slots__ = ("instance_uuid", "length")
    INSTANCE_UUID_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    instance_uuid: str
    length: int
    def __init__(self, instance_uuid: _Optional[str] = ..., length: _Optional[int] = ...) -> None: ...

class GetConsoleOutputReply(_message.Message):
    __slots__ = ("output",)
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    output: str
    def __init__(self, output: _Optional[str] = ...) -> None: ...
