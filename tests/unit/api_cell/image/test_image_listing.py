"""Query strings of GET /v2/images."""

import pytest

from api_cell.image import errors, listing


def test_defaults_hide_hidden_images_newest_first():
    request = listing.parse([])
    assert request.sort == (("created_at", "desc"),)
    assert request.filters.os_hidden is False
    assert (request.limit, request.marker, request.visibility) == (None, None, None)


def test_filters_and_paging():
    marker = "5C1F6E2A-4B1E-4F0E-9D55-0A11CE11A700"
    request = listing.parse([("name", "cirros"), ("tag", "a"), ("tag", "b"),
                             ("protected", "TRUE"), ("os_hidden", "true"),
                             ("size_min", "10"), ("limit", "5"), ("marker", marker),
                             ("visibility", "all"), ("member_status", "accepted")])
    assert request.filters.names == ("cirros",) and request.filters.tags == ("a", "b")
    assert request.filters.protected is True and request.filters.os_hidden is True
    assert request.filters.size_min == 10 and request.limit == 5
    assert request.marker == marker.lower() and request.visibility == "all"


def test_any_of_filters():
    request = listing.parse([("id", "in:a1,b2"), ("status", "in:active,queued"),
                             ("name", "in:x")])
    assert request.filters.ids == ("a1", "b2")
    assert request.filters.statuses == ("active", "queued")
    assert request.filters.names == ("x",)
    with pytest.raises(errors.BadRequest):
        listing.parse([("id", "in:")])


@pytest.mark.parametrize("items, expected", [
    ([("sort_key", "name")], (("name", "desc"),)),
    ([("sort_key", "name"), ("sort_dir", "asc"), ("sort_key", "size")],
     (("name", "asc"), ("size", "asc"))),
    ([("sort_key", "name"), ("sort_key", "size"), ("sort_dir", "asc"),
      ("sort_dir", "desc")], (("name", "asc"), ("size", "desc"))),
    ([("sort_dir", "asc")], (("created_at", "asc"),)),
    ([("sort", "name:asc, min_ram")], (("name", "asc"), ("min_ram", "desc"))),
])
def test_sorting(items, expected):
    assert listing.parse(items).sort == expected


@pytest.mark.parametrize("items", [
    [("sort_key", "checksum")], [("sort_dir", "up")], [("sort", "name:up")],
    [("sort", "name"), ("sort_key", "size")], [("sort_dir", "asc"), ("sort_dir", "desc")],
    [("limit", "-1")], [("limit", "ten")], [("size_min", str(2 ** 63))],
    [("size_max", "1.5")], [("os_hidden", "yes")],
    [("visibility", "mine")], [("marker", "abc")], [("name", "a"), ("name", "b")],
    [("flavor", "x")],
])
def test_bad_queries(items):
    with pytest.raises(errors.BadRequest):
        listing.parse(items)
