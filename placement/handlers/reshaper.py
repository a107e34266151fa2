"""POST /reshaper (1.30)."""

from __future__ import annotations

import flask

from placement import schemas, util
from placement.context import RequestContext
from placement.handlers import allocations as alloc_handlers
from placement.handlers import inventories as inv_handlers
from placement.objects import reshaper as reshaper_obj


def reshape(ctx: RequestContext) -> flask.Response:
    """POST /reshaper: new inventories and allocations, all or nothing."""
    ctx.authorize("placement:reshaper:reshape")
    data = util.json_body(schemas.reshaper(ctx.version))
    inventories = {
        uuid: (body["resource_provider_generation"],
               inv_handlers.checked(ctx, body["inventories"]))
        for uuid, body in data["inventories"].items()}
    allocations = [alloc_handlers.from_body(ctx, consumer, body)
                   for consumer, body in sorted(data["allocations"].items())]
    reshaper_obj.reshape(ctx.db_url, inventories, allocations, ctx.retries)
    return util.no_content()
