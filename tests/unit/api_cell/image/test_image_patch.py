"""JSON-patch parsing and application of the image API."""

import pytest

from api_cell.image import errors, patch

CORE = {"name", "min_ram", "tags"}


def test_parse_decodes_pointer_escapes():
    ops = patch.parse([{"op": "add", "path": "/a~1b~0c", "value": "v"},
                       {"op": "remove", "path": "/x"}])
    assert ops == [patch.Operation("add", "a/b~c", "v"), patch.Operation("remove", "x")]


@pytest.mark.parametrize("body", [
    {"op": "add"}, [{"op": "copy", "path": "/a", "value": 1}], [{"path": "/a"}],
    [{"op": "add", "path": "a", "value": 1}], [{"op": "add", "path": "/", "value": 1}],
    [{"op": "add", "path": "/a/b", "value": 1}], [{"op": "replace", "path": "/a"}],
    [{"op": "add", "path": 3, "value": 1}], ["add"],
])
def test_parse_refuses_bad_patches(body):
    with pytest.raises(errors.BadRequest):
        patch.parse(body)


def test_apply_changes_a_copy():
    document = {"name": "old", "min_ram": 0, "tags": [], "color": "blue"}
    result = patch.apply(document, patch.parse([
        {"op": "replace", "path": "/name", "value": "new"},
        {"op": "add", "path": "/min_ram", "value": 64},
        {"op": "add", "path": "/size_hint", "value": "big"},
        {"op": "remove", "path": "/color"},
    ]), CORE)
    assert result == {"name": "new", "min_ram": 64, "tags": [], "size_hint": "big"}
    assert document["name"] == "old" and "color" in document


@pytest.mark.parametrize("operation, error", [
    ({"op": "add", "path": "/color", "value": "red"}, errors.Conflict),
    ({"op": "replace", "path": "/shape", "value": "round"}, errors.Conflict),
    ({"op": "remove", "path": "/shape"}, errors.Conflict),
    ({"op": "remove", "path": "/name"}, errors.Forbidden),
])
def test_apply_conflicts(operation, error):
    with pytest.raises(error):
        patch.apply({"name": "n", "color": "blue"}, patch.parse([operation]), CORE)
