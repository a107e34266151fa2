"""The availability_zone of server create: zone, zone:host, zone:host:node."""

from __future__ import annotations

import pytest

from api_cell.api import errors
from api_cell.api.domain.aggregates import RequestedZone, parse_requested_zone


@pytest.mark.parametrize("text,expected", [
    (None, RequestedZone(None)),
    ("az1", RequestedZone("az1")),
    ("az1:h1", RequestedZone("az1", "h1")),
    ("az1:h1:n1", RequestedZone("az1", "h1", "n1")),
    ("az1::n1", RequestedZone("az1", None, "n1")),
    (":h1", RequestedZone(None, "h1")),
    ("az1:", RequestedZone("az1")),
])
def test_parsed(text, expected):
    assert parse_requested_zone(text) == expected


def test_only_a_host_or_node_forces():
    assert not parse_requested_zone("az1").forces_host
    assert not parse_requested_zone("az1:").forces_host
    assert parse_requested_zone("az1::n1").forces_host


def test_too_many_parts_are_refused():
    with pytest.raises(errors.BadRequest):
        parse_requested_zone("a:b:c:d")
