"""/resource_providers/{uuid}/aggregates (1.1; generation from 1.19)."""

from __future__ import annotations

import flask

from placement import schemas, util
from placement.context import RequestContext
from placement.objects import aggregate as agg_obj


def _body(ctx: RequestContext, generation: int, aggregates: list[str]) -> dict:
    body: dict = {"aggregates": aggregates}
    if ctx.at_least(19):
        body["resource_provider_generation"] = generation
    return body


def list_aggregates(ctx: RequestContext, uuid: str) -> flask.Response:
    """GET /resource_providers/{uuid}/aggregates."""
    ctx.authorize("placement:resource_providers:aggregates:list")
    generation, aggregates = agg_obj.get_aggregates(ctx.db_url, uuid)
    return util.json_response(_body(ctx, generation, aggregates))


def set_aggregates(ctx: RequestContext, uuid: str) -> flask.Response:
    """PUT /resource_providers/{uuid}/aggregates."""
    ctx.authorize("placement:resource_providers:aggregates:update")
    data = util.json_body(schemas.aggregates(ctx.version))
    if ctx.at_least(19):
        wanted, generation = data["aggregates"], data["resource_provider_generation"]
    else:
        wanted, generation = data, None
    new_generation, aggregates = agg_obj.set_aggregates(ctx.db_url, uuid, wanted, generation)
    return util.json_response(_body(ctx, new_generation, aggregates))
