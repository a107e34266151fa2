"""The pure parts of the list columns: building rows, searching them, the access
address formats and the hostname made of a name."""

from __future__ import annotations

import datetime
import re

import pytest

from api_cell.api import errors, validation
from api_cell.api.domain import server_filters
from api_cell.api.schemas import server_actions as action_schemas
from api_cell.api.schemas import servers as server_schemas
from api_cell.superconductor import builder
from common import hostnames
from db.api.instances import Build

MOMENT = datetime.datetime(2024, 1, 1)


def _build(name: str = "Web Server", **spec) -> Build:
    return Build("u-1", "p", "alice", {"name": name, "flavor": {"id": "1"}}, spec, MOMENT)


@pytest.mark.parametrize("name,hostname", [("Web Server", "web-server"),
                                           ("--x_y--", "x-y"), ("***", "server"),
                                           ("a" * 70, "a" * 63)])
def test_hostname_made_of_a_name(name, hostname):
    assert hostnames.from_name(name) == hostname
    assert hostnames.of_request(name, {}) == hostname
    assert hostnames.of_request(name, {"hostname": "asked"}) == "asked"


def test_the_row_of_a_build_request_and_the_row_the_builder_writes_agree():
    build = _build(key_name="k", description="d", access_ip_v4="192.0.2.1",
                   config_drive="True")
    listed = server_filters.build_row(build)
    written = builder._instance_fields(build, vm_state="building", task_state="spawning")
    for column in ("key_name", "hostname", "access_ip_v4", "access_ip_v6",
                   "config_drive", "progress"):
        assert listed[column] == written[column], column
    assert listed["display_description"] == written["display_description"] == "d"
    assert (written["hostname"], written["config_drive"], written["progress"]) == (
        "web-server", "True", 0)
    assert builder._instance_fields(_build())["config_drive"] == ""


def test_searched_columns_match_text_and_numbers_never_null():
    filters = server_filters.Filters(searched={"progress": re.compile("^5"),
                                               "key_name": re.compile("dep")})
    assert filters.after_query() and filters.any()
    assert filters.keeps_row({"progress": 50, "key_name": "deploy"})
    assert not filters.keeps_row({"progress": 15, "key_name": "deploy"})
    assert not filters.keeps_row({"progress": 50, "key_name": None})
    assert server_filters.Filters(ip6="^fd").by_address()
    assert not server_filters.Filters().any()


def test_new_sort_keys_are_usable_and_no_longer_ignored():
    for key in ("key_name", "hostname", "display_description", "access_ip_v4",
                "access_ip_v6", "config_drive", "progress"):
        assert key not in server_filters.IGNORED_SORT_KEYS
        sort = server_filters.parse_sort([key], ["asc"], False, True)
        assert sort == ((key, "asc"), ("uuid", "asc"))


@pytest.mark.parametrize("body,ok", [
    ({"accessIPv4": "192.0.2.1", "accessIPv6": "2001:db8::1"}, True),
    ({"accessIPv4": "", "accessIPv6": ""}, True),
    ({"accessIPv4": "192.0.2"}, False), ({"accessIPv4": "::1"}, False),
    ({"accessIPv6": "10.0.0.1"}, False), ({"accessIPv6": "fe80::1::2"}, False),
    ({"accessIPv4": 17}, False),
])
def test_access_addresses_in_update_and_rebuild(body, ok):
    update = server_schemas.update((2, 1))
    rebuild = action_schemas.rebuild((2, 1))
    for schema, document in ((update, {"server": {"name": "x", **body}}),
                             (rebuild, {"imageRef": "i", **body})):
        if ok:
            validation.validate(schema, document)
        else:
            with pytest.raises(errors.BadRequest, match="Invalid input for field"):
                validation.validate(schema, document)
