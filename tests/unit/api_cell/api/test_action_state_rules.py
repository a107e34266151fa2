"""State rules of the server actions: where each may start, what status it shows,
and how their bodies change with the microversion."""

from __future__ import annotations

import jsonschema
import pytest

from api_cell.api.domain import actions
from api_cell.api.schemas import server_actions as schemas
from common import states


@pytest.mark.parametrize("action,allowed,task_state", [
    (actions.PAUSE, {"active"}, "pausing"),
    (actions.UNPAUSE, {"paused"}, "unpausing"),
    (actions.SUSPEND, {"active"}, "suspending"),
    (actions.RESUME, {"suspended"}, "resuming"),
    (actions.REBUILD, {"active", "stopped", "error"}, "rebuilding"),
    (actions.HARD_REBOOT, {"active", "stopped", "paused", "suspended", "error"},
     "rebooting_hard"),
])
def test_where_each_action_may_start(action, allowed, task_state):
    assert set(action.allowed_vm_states) == allowed
    assert action.task_state == task_state


@pytest.mark.parametrize("vm_state,task_state,status", [
    ("paused", None, "PAUSED"), ("suspended", None, "SUSPENDED"),
    ("paused", "unpausing", "PAUSED"), ("active", "pausing", "ACTIVE"),
    ("active", "rebuilding", "REBUILD"), ("stopped", "rebuilding", "REBUILD"),
    ("error", "rebuilding", "REBUILD"), ("stopped", None, "SHUTOFF"),
])
def test_status_of_new_states(vm_state, task_state, status):
    assert states.server_status(vm_state, task_state) == status


def _valid(schema, value) -> bool:
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("version,argument,valid", [
    ((2, 1), None, True), ((2, 72), {"locked_reason": "r"}, False),
    ((2, 73), {"locked_reason": "r"}, True), ((2, 73), None, True), ((2, 73), {}, True),
    ((2, 73), {"locked_reason": None}, False),
])
def test_lock_body_by_version(version, argument, valid):
    assert _valid(schemas.lock(version), argument) is valid


@pytest.mark.parametrize("version,argument,valid", [
    ((2, 76), None, True), ((2, 76), {"availability_zone": "az"}, False),
    ((2, 77), {"availability_zone": "az"}, True), ((2, 77), {}, False),
    ((2, 77), None, True),
])
def test_unshelve_body_by_version(version, argument, valid):
    assert _valid(schemas.unshelve(version), argument) is valid


@pytest.mark.parametrize("version,field,value,valid", [
    ((2, 18), "description", "d", False), ((2, 19), "description", None, True),
    ((2, 53), "key_name", "k", False), ((2, 54), "key_name", None, True),
    ((2, 56), "user_data", "aGk=", False), ((2, 57), "user_data", "aGk=", True),
    ((2, 56), "personality", [], True), ((2, 57), "personality", [], False),
    ((2, 62), "trusted_image_certificates", ["c"], False),
    ((2, 63), "trusted_image_certificates", ["c"], True),
    ((2, 63), "trusted_image_certificates", None, True),
    ((2, 63), "trusted_image_certificates", [""], False),
])
def test_rebuild_body_by_version(version, field, value, valid):
    assert _valid(schemas.rebuild(version), {"imageRef": "i", field: value}) is valid


def test_rebuild_needs_an_image():
    assert not _valid(schemas.rebuild((2, 90)), {"name": "x"})
