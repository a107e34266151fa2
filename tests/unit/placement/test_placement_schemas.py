"""Request body schemas per microversion."""

import pytest

from placement import errors, schemas, util
from placement.microversion import Version

RP = "11111111-1111-1111-1111-111111111111"


def test_inventory_accepts_a_full_record():
    util.validate({"resource_provider_generation": 0,
                   "inventories": {"VCPU": {"total": 8, "allocation_ratio": 16.0}}},
                  schemas.INVENTORIES)


@pytest.mark.parametrize("record", [
    {"total": 0}, {"total": "8"}, {"total": 2**31}, {"total": 8, "reserved": -1},
    {"total": 8, "allocation_ratio": 0}, {"total": 8, "step_size": 0}, {"total": 8.5},
    {"total": 8, "bogus": 1}, {},
])
def test_inventory_rejects(record):
    with pytest.raises(errors.BadRequest):
        util.validate({"resource_provider_generation": 0, "inventories": {"VCPU": record}},
                      schemas.INVENTORIES)


def test_allocations_1_28_requires_consumer_generation():
    body = {"allocations": {RP: {"resources": {"VCPU": 1}}}, "project_id": "p",
            "user_id": "u"}
    util.validate(body, schemas.allocations(Version(1, 27)))
    with pytest.raises(errors.BadRequest):
        util.validate(body, schemas.allocations(Version(1, 28)))
    util.validate({**body, "consumer_generation": None}, schemas.allocations(Version(1, 28)))


def test_allocations_1_38_requires_consumer_type():
    body = {"allocations": {}, "project_id": "p", "user_id": "u", "consumer_generation": 1}
    with pytest.raises(errors.BadRequest):
        util.validate(body, schemas.allocations(Version(1, 38)))
    util.validate({**body, "consumer_type": "INSTANCE"}, schemas.allocations(Version(1, 38)))


def test_allocations_list_form_before_1_12():
    body = {"allocations": [{"resource_provider": {"uuid": RP}, "resources": {"VCPU": 1}}]}
    util.validate(body, schemas.allocations(Version(1, 7)))
    with pytest.raises(errors.BadRequest):
        util.validate(body, schemas.allocations(Version(1, 8)))


@pytest.mark.parametrize("amount", [0, -1, "1", 1.5, 2**31, None])
def test_allocation_amounts(amount):
    body = {"allocations": {RP: {"resources": {"VCPU": amount}}}, "project_id": "p",
            "user_id": "u"}
    with pytest.raises(errors.BadRequest):
        util.validate(body, schemas.allocations(Version(1, 12)))


def test_provider_parent_only_from_1_14():
    body = {"name": "n", "parent_provider_uuid": RP}
    util.validate(body, schemas.provider(Version(1, 14)))
    with pytest.raises(errors.BadRequest):
        util.validate(body, schemas.provider(Version(1, 13)))


def test_aggregates_shape_changes_at_1_19():
    util.validate([RP], schemas.aggregates(Version(1, 18)))
    with pytest.raises(errors.BadRequest):
        util.validate([RP], schemas.aggregates(Version(1, 19)))
