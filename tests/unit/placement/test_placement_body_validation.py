"""Bodies are judged by a fast validator, and by jsonschema whenever it refuses."""

from __future__ import annotations

import uuid

import flask
import pytest

from placement import errors, schemas, util
from placement.microversion import Version

CONSUMER = str(uuid.uuid4())


def _claim(**changes) -> dict:
    body = {"allocations": {str(uuid.uuid4()): {"resources": {"VCPU": 1}}},
            "consumer_generation": None, "project_id": "p", "user_id": "u",
            "consumer_type": "INSTANCE"}
    body.update(changes)
    return body


@pytest.mark.parametrize("body", [
    _claim(),
    _claim(consumer_generation=3),
    # jsonschema counts 1.0 as an integer, as upstream Placement's validator does.
    _claim(allocations={str(uuid.uuid4()): {"resources": {"VCPU": 1.0}}}),
    # The format "uuid" is not checked by jsonschema (no format checker); the
    # fast validator checks it and refuses: jsonschema's verdict stands.
    _claim(allocations={CONSUMER.replace("-", ""): {"resources": {"VCPU": 1}}}),
])
def test_valid_bodies_pass(body) -> None:
    util.validate(body, schemas.allocations(Version(1, 39)))


@pytest.mark.parametrize(("body", "message"), [
    (_claim(consumer_generation="1"), "'1' is not valid under any of the given schemas"),
    (_claim(allocations={str(uuid.uuid4()): {"resources": {"VCPU": 0}}}),
     "0 is less than the minimum of 1"),
    (_claim(allocations={str(uuid.uuid4()): {"resources": {"VCPU": True}}}),
     "True is not of type 'integer'"),
    (_claim(allocations={"not-a-uuid": {"resources": {"VCPU": 1}}}),
     "'not-a-uuid' does not match any of the regexes"),
    (_claim(surprise=1), "Additional properties are not allowed ('surprise' was unexpected)"),
])
def test_invalid_bodies_are_worded_by_jsonschema(body, message) -> None:
    with pytest.raises(errors.BadRequest) as raised:
        util.validate(body, schemas.allocations(Version(1, 39)))
    assert raised.value.detail.startswith("JSON does not validate: ")
    assert message in raised.value.detail


def test_query_strings_use_the_same_rule() -> None:
    schema = {"type": "object", "properties": {"limit": {"type": "string",
                                                         "pattern": "^[1-9][0-9]*$"}},
              "additionalProperties": False}
    app = flask.Flask("t")
    with app.test_request_context("/?limit=10"):
        assert util.query_params(schema) == {"limit": ["10"]}
    with app.test_request_context("/?limit=0"), pytest.raises(errors.BadRequest) as raised:
        util.query_params(schema)
    assert raised.value.detail == ("Invalid query string parameters: "
                                   "'0' does not match '^[1-9][0-9]*$'")
