"""/allocations/{consumer_uuid}, POST /allocations (1.13), provider allocations."""

from __future__ import annotations

import flask

from placement import errors, query, schemas, util
from placement.context import RequestContext
from placement.objects import allocation as alloc_obj
from placement.objects import claim


def _consumer_uuid(value: str) -> str:
    if not query.is_uuid(value):
        raise errors.BadRequest(f"Malformed consumer_uuid: {value[:100]}")
    return value


def show_allocations(ctx: RequestContext, consumer_uuid: str) -> flask.Response:
    """GET /allocations/{consumer_uuid}: {} when it holds nothing."""
    ctx.authorize("placement:allocations:list")
    found = alloc_obj.get_consumer_allocations(ctx.db_url, consumer_uuid)
    ctx.last_modified = found["updated_at"]
    body: dict = {"allocations": found["allocations"]}
    consumer = found["consumer"]
    if ctx.at_least(12) and consumer is not None:
        body["project_id"], body["user_id"] = consumer.project, consumer.user
    if ctx.at_least(28) and consumer is not None:
        body["consumer_generation"] = consumer.generation
    if ctx.at_least(38) and consumer is not None:
        body["consumer_type"] = consumer.type or "unknown"
    return util.json_response(body)


def from_body(ctx: RequestContext, consumer_uuid: str, data: dict
               ) -> alloc_obj.ConsumerAllocations:
    """A consumer's wanted allocations from a PUT body (or one entry of a POST)."""
    if ctx.at_least(12):
        wanted = {rp: entry["resources"] for rp, entry in data["allocations"].items()}
    else:
        wanted = {}
        for entry in data["allocations"]:
            rp = entry["resource_provider"]["uuid"]
            if rp in wanted:
                raise errors.BadRequest(f"Allocation for resource provider '{rp}' repeated.")
            wanted[rp] = entry["resources"]
    return alloc_obj.ConsumerAllocations(
        consumer_uuid=consumer_uuid, allocations=wanted, project_id=data.get("project_id"),
        user_id=data.get("user_id"),
        generation=data["consumer_generation"] if ctx.at_least(28) else alloc_obj.UNCHECKED,
        consumer_type=data.get("consumer_type"))


def set_allocations(ctx: RequestContext, consumer_uuid: str) -> flask.Response:
    """PUT /allocations/{consumer_uuid}: replace what the consumer holds."""
    ctx.authorize("placement:allocations:update")
    _consumer_uuid(consumer_uuid)
    data = util.json_body(schemas.allocations(ctx.version))
    claim.replace(ctx.db_url, [from_body(ctx, consumer_uuid, data)], ctx.retries)
    return util.no_content()


def post_allocations(ctx: RequestContext) -> flask.Response:
    """POST /allocations: replace the allocations of several consumers atomically."""
    ctx.authorize("placement:allocations:manage")
    data = util.json_body(schemas.post_allocations(ctx.version))
    items = [from_body(ctx, consumer, body) for consumer, body in sorted(data.items())]
    claim.replace(ctx.db_url, items, ctx.retries)
    return util.no_content()


def delete_allocations(ctx: RequestContext, consumer_uuid: str) -> flask.Response:
    """DELETE /allocations/{consumer_uuid}."""
    ctx.authorize("placement:allocations:delete")
    alloc_obj.delete_consumer_allocations(ctx.db_url, consumer_uuid)
    return util.no_content()


def provider_allocations(ctx: RequestContext, uuid: str) -> flask.Response:
    """GET /resource_providers/{uuid}/allocations."""
    ctx.authorize("placement:resource_providers:allocations:list")
    generation, allocations = alloc_obj.get_provider_allocations(ctx.db_url, uuid)
    return util.json_response({"resource_provider_generation": generation,
                               "allocations": allocations})
