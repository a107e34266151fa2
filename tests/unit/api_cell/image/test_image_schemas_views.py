"""The image schema as a body check, and how images are shown."""

import datetime

import pytest

from api_cell.image import errors, schemas, views
from db.api.images import ImageRecord


def test_schema_accepts_a_full_editable_document():
    schemas.check_image({"name": "cirros", "visibility": "private", "protected": False,
                         "min_ram": 1, "disk_format": None, "tags": ["a"], "os": "linux"})


@pytest.mark.parametrize("document", [
    {"tags": ["x"] * (schemas.MAX_TAGS + 1)}, {"tags": [""]}, {"container_format": "zip"},
    {"min_disk": 2 ** 31}, {"": "empty name"}, {"k" * 256: "long name"},
])
def test_schema_refuses(document):
    with pytest.raises(errors.BadRequest):
        schemas.check_image(document)


def test_read_only_attributes():
    schemas.check_not_read_only(["name", "custom"])
    for name in ("id", "status", "size", "self", "os_hash_value"):
        with pytest.raises(errors.Forbidden):
            schemas.check_not_read_only([name])


def test_view_flattens_properties_under_core_attributes():
    created = datetime.datetime(2026, 1, 2, 3, 4, 5, 678)
    record = ImageRecord("id-1", "n", "active", 0, 0, 10,
                         {"os_distro": "cirros", "status": "spoofed"}, created, None,
                         tags=("b", "a"))
    shown = views.image(record)
    assert shown["os_distro"] == "cirros" and shown["status"] == "active"
    assert shown["created_at"] == shown["updated_at"] == "2026-01-02T03:04:05Z"
    assert shown["tags"] == ["b", "a"] and shown["file"] == "/v2/images/id-1/file"


def test_next_link_keeps_the_query_and_replaces_the_marker():
    body = views.images([], [("limit", "2"), ("marker", "old"), ("tag", "x")], "new")
    assert body["next"] == "/v2/images?limit=2&tag=x&marker=new"
    assert "next" not in views.images([], [], None)
