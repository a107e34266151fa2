"""Query-string parsing."""

import pytest

from placement import errors, query
from placement.microversion import Version

LATEST = Version(1, 39)


def test_resources():
    assert query.parse_resources("VCPU:1,MEMORY_MB:512") == {"VCPU": 1, "MEMORY_MB": 512}


@pytest.mark.parametrize("text", ["VCPU", "VCPU:", "VCPU:-1", "VCPU:0", "vcpu:1", "VCPU:1,",
                                  "VCPU:1,VCPU:2", "VCPU:99999999999", "VCPU:1.5",
                                  "VCPU:١"])
def test_bad_resources(text):
    with pytest.raises(errors.BadRequest):
        query.parse_resources(text)


def test_traits_required_and_forbidden():
    found = query.parse_traits(["HW_CPU_X86_AVX,!CUSTOM_SLOW"], LATEST)
    assert found.required == {"HW_CPU_X86_AVX"}
    assert found.forbidden == {"CUSTOM_SLOW"}


def test_forbidden_before_1_22_is_an_invalid_name():
    with pytest.raises(errors.BadRequest):
        query.parse_traits(["!CUSTOM_SLOW"], Version(1, 21))


def test_any_traits_at_1_39():
    found = query.parse_traits(["in:CUSTOM_A,CUSTOM_B", "CUSTOM_C"], LATEST)
    assert found.any_of == [{"CUSTOM_A", "CUSTOM_B"}]
    assert found.satisfied_by({"CUSTOM_B", "CUSTOM_C"})
    assert not found.satisfied_by({"CUSTOM_C"})


def test_repeated_required_before_1_39():
    with pytest.raises(errors.BadRequest):
        query.parse_traits(["CUSTOM_A", "CUSTOM_B"], Version(1, 38))


def test_conflicting_traits():
    with pytest.raises(errors.BadRequest):
        query.parse_traits(["CUSTOM_A,!CUSTOM_A"], LATEST)


def test_member_of():
    a, b = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    found = query.parse_member_of([f"in:{a},{b}", f"!{a}"], Version(1, 32))
    assert found.any_of == [{a, b}]
    assert found.forbidden == {a}


@pytest.mark.parametrize("values,version", [
    (["not-a-uuid"], Version(1, 32)),
    (["11111111-1111-1111-1111-111111111111"] * 2, Version(1, 23)),
    (["in:"], Version(1, 32)),
])
def test_bad_member_of(values, version):
    with pytest.raises(errors.BadRequest):
        query.parse_member_of(values, version)


def test_group_suffixes():
    assert query.group_suffix("resources1", "resources", Version(1, 25)) == "1"
    assert query.group_suffix("resources_NET", "resources", Version(1, 33)) == "_NET"
    assert query.group_suffix("resources", "resources", Version(1, 33)) is None
    with pytest.raises(errors.BadRequest):
        query.group_suffix("resources_NET", "resources", Version(1, 32))


@pytest.mark.parametrize("text", ["0", "-1", "abc", "1e3", ""])
def test_bad_limit(text):
    with pytest.raises(errors.BadRequest):
        query.parse_positive_int(text, "limit")


def test_bool():
    assert query.parse_bool("TRUE", "x") is True
    with pytest.raises(errors.BadRequest):
        query.parse_bool("yes", "x")
