"""Drift guard: the committed generated modules match their ``.proto`` files."""

from protos import generate
from protos.compute.v1 import compute_pb2
from protos.conductor.v1 import conductor_pb2


def test_generated_modules_match_protos():
    assert generate.differences() == []


def test_every_proto_has_its_modules_listed():
    protos = {str(p) for p in generate.proto_files()}
    assert protos == {"protos/compute/v1/compute.proto",
                      "protos/conductor/v1/conductor.proto"}


def test_power_states_use_compute_api_numbers():
    # The conductor stores the enum value as the instance's power_state unchanged.
    assert compute_pb2.POWER_STATE_RUNNING == 1
    assert compute_pb2.POWER_STATE_SHUTDOWN == 4


def test_conductor_reuses_compute_power_state_message():
    request = conductor_pb2.ReportPowerStatesRequest(host="h1", states=[
        compute_pb2.InstancePowerState(instance_uuid="u", power_state=1)])
    assert request.states[0].power_state == compute_pb2.POWER_STATE_RUNNING
