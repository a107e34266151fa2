"""/v2.1/os-aggregates (admin)."""

from __future__ import annotations

from api_cell.api import errors, policies, request, validation
from api_cell.api.domain import aggregates
from api_cell.api.schemas import aggregates as schemas
from api_cell.api.views import aggregates as view
from db.api.aggregates import AggregateRecord

_ACTION_RULES = {"add_host": policies.AGGREGATES_ADD_HOST,
                 "remove_host": policies.AGGREGATES_REMOVE_HOST,
                 "set_metadata": policies.AGGREGATES_SET_METADATA}


def _shown(record: AggregateRecord, with_members: bool = True) -> dict:
    return {"aggregate": view.aggregate(record, with_members, request.at_least("2.41"))}


def index() -> dict:
    """GET /os-aggregates"""
    request.authorize(policies.AGGREGATES_INDEX)
    with_uuid = request.at_least("2.41")
    return {"aggregates": [view.aggregate(a, True, with_uuid)
                           for a in aggregates.list_all(request.backends())]}


def create() -> dict:
    """POST /os-aggregates: 200 with the aggregate, without hosts and metadata (as
    Nova)."""
    request.authorize(policies.AGGREGATES_CREATE)
    fields = request.body(schemas.CREATE, "aggregate")
    created = aggregates.create(request.backends(), fields["name"],
                                fields.get("availability_zone"))
    return _shown(created, with_members=False)


def show(aggregate_id: str) -> dict:
    """GET /os-aggregates/{id}"""
    request.authorize(policies.AGGREGATES_SHOW)
    return _shown(aggregates.get(request.backends(), aggregate_id))


def update(aggregate_id: str) -> dict:
    """PUT /os-aggregates/{id}: name and/or availability_zone."""
    request.authorize(policies.AGGREGATES_UPDATE)
    fields = request.body(schemas.UPDATE, "aggregate")
    return _shown(aggregates.update(request.backends(), aggregate_id, fields.get("name"),
                                    fields.get("availability_zone"),
                                    "availability_zone" in fields))


def delete(aggregate_id: str) -> tuple[str, int]:
    """DELETE /os-aggregates/{id}: 200 with no body (as Nova); 400 while it has hosts."""
    request.authorize(policies.AGGREGATES_DELETE)
    aggregates.delete(request.backends(), aggregate_id)
    return "", 200


def action(aggregate_id: str) -> dict:
    """POST /os-aggregates/{id}/action: add_host, remove_host or set_metadata."""
    document = request.raw_body()
    if not isinstance(document, dict) or len(document) != 1:
        raise errors.BadRequest("Malformed request body: expected one action")
    name = next(iter(document))
    if name not in schemas.ACTIONS:
        raise errors.BadRequest(f"There is no such action: {name}")
    request.authorize(_ACTION_RULES[name])
    validation.validate(schemas.ACTIONS[name], document)
    backends = request.backends()
    if name == "set_metadata":
        changed = aggregates.set_metadata(backends, aggregate_id,
                                          document[name]["metadata"])
    elif name == "add_host":
        changed = aggregates.add_host(backends, aggregate_id, document[name]["host"])
    else:
        changed = aggregates.remove_host(backends, aggregate_id, document[name]["host"])
    return _shown(changed)


def images(aggregate_id: str) -> dict:
    """POST /os-aggregates/{id}/images (2.81): Cellar's agents cache an image when they
    first boot from it and are not told to fetch ahead, so this is refused."""
    request.authorize(policies.AGGREGATES_IMAGES)
    aggregates.get(request.backends(), aggregate_id)
    raise errors.BadRequest("Caching images on the hosts of an aggregate ahead of use is "
                            "not supported by Cellar.")
