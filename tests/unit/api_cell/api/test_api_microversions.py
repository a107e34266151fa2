"""Microversions as data, and their negotiation."""

from __future__ import annotations

import pytest

from api_cell.api import errors, microversions
from api_cell.api.microversions import Version


def test_versions_are_contiguous_from_2_1():
    parsed = [microversions.parse(text) for text, _ in microversions.VERSIONS]
    assert parsed[0] == Version(2, 1)
    for earlier, later in zip(parsed, parsed[1:], strict=False):
        assert later == Version(earlier.major, earlier.minor + 1)
    assert all(description for _, description in microversions.VERSIONS)


def test_range_guard():
    # Raising the maximum is a promise to clients: update this test only together
    # with the change the new microversion makes, implemented for every resource.
    assert microversions.MIN_VERSION == Version(2, 1)
    assert microversions.MAX_VERSION == Version(2, 100)
    assert microversions.MAX_VERSION == microversions.parse(microversions.VERSIONS[-1][0])


@pytest.mark.parametrize("headers,expected", [
    ({}, Version(2, 1)),
    ({"OpenStack-API-Version": "compute 2.1"}, Version(2, 1)),
    ({"OpenStack-API-Version": "compute latest"}, microversions.MAX_VERSION),
    ({"OpenStack-API-Version": "COMPUTE  LATEST"}, microversions.MAX_VERSION),
    ({"X-OpenStack-Nova-API-Version": "2.1"}, Version(2, 1)),
    ({"OpenStack-API-Version": "placement 1.39"}, Version(2, 1)),
    ({"OpenStack-API-Version": "placement 1.39, compute 2.1"}, Version(2, 1)),
])
def test_negotiate(headers, expected):
    assert microversions.negotiate(headers) == expected


@pytest.mark.parametrize("value", ["2.101", "1.1", "3.0", "2.0"])
def test_out_of_range_is_not_acceptable(value):
    with pytest.raises(errors.NotAcceptable) as caught:
        microversions.negotiate({"OpenStack-API-Version": f"compute {value}"})
    assert caught.value.code == 406


@pytest.mark.parametrize("value", ["2", "2.", ".1", "2.01", "two.one", "2.1.1", ""])
def test_malformed_is_bad_request(value):
    with pytest.raises(errors.BadRequest):
        microversions.parse(value)


def test_response_headers_name_both_headers_and_vary():
    headers = microversions.response_headers(Version(2, 1))
    assert headers["OpenStack-API-Version"] == "compute 2.1"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert headers["Vary"] == "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
