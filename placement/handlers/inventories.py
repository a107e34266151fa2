"""/resource_providers/{uuid}/inventories[/{resource_class}]."""

from __future__ import annotations

import flask

from placement import schemas, util
from placement.context import RequestContext
from placement.objects import inventory as inv_obj


def checked(ctx: RequestContext, inventories: dict[str, dict]) -> dict[str, dict]:
    records = {rc: inv_obj.with_defaults(inv) for rc, inv in inventories.items()}
    for rc, record in records.items():
        inv_obj.check_record(rc, record, reserved_may_equal_total=ctx.at_least(26))
    return records


def _body(generation: int, inventories: dict[str, dict]) -> dict:
    return {"resource_provider_generation": generation, "inventories": inventories}


def list_inventories(ctx: RequestContext, uuid: str) -> flask.Response:
    """GET /resource_providers/{uuid}/inventories."""
    ctx.authorize("placement:resource_providers:inventories:list")
    generation, inventories = inv_obj.get_inventories(ctx.db_url, uuid)
    return util.json_response(_body(generation, inventories))


def set_inventories(ctx: RequestContext, uuid: str) -> flask.Response:
    """PUT /resource_providers/{uuid}/inventories: replace them all."""
    ctx.authorize("placement:resource_providers:inventories:update")
    data = util.json_body(schemas.INVENTORIES)
    records = checked(ctx, data["inventories"])
    generation, inventories = inv_obj.set_inventories(
        ctx.db_url, uuid, data["resource_provider_generation"], records)
    return util.json_response(_body(generation, inventories))


def delete_inventories(ctx: RequestContext, uuid: str) -> flask.Response:
    """DELETE /resource_providers/{uuid}/inventories (1.5)."""
    ctx.authorize("placement:resource_providers:inventories:delete")
    inv_obj.delete_inventories(ctx.db_url, uuid)
    return util.no_content()


def show_inventory(ctx: RequestContext, uuid: str, resource_class: str) -> flask.Response:
    """GET /resource_providers/{uuid}/inventories/{resource_class}."""
    ctx.authorize("placement:resource_providers:inventories:list")
    generation, record = inv_obj.get_inventory(ctx.db_url, uuid, resource_class)
    return util.json_response({"resource_provider_generation": generation, **record})


def set_inventory(ctx: RequestContext, uuid: str, resource_class: str) -> flask.Response:
    """PUT /resource_providers/{uuid}/inventories/{resource_class}."""
    ctx.authorize("placement:resource_providers:inventories:update")
    data = util.json_body(schemas.INVENTORY_ONE)
    generation = data.pop("resource_provider_generation")
    record = checked(ctx, {resource_class: data})[resource_class]
    new_generation, saved = inv_obj.set_inventory(ctx.db_url, uuid, resource_class,
                                                  generation, record)
    return util.json_response({"resource_provider_generation": new_generation, **saved})


def delete_inventory(ctx: RequestContext, uuid: str, resource_class: str) -> flask.Response:
    """DELETE /resource_providers/{uuid}/inventories/{resource_class}."""
    ctx.authorize("placement:resource_providers:inventories:delete")
    inv_obj.delete_inventory(ctx.db_url, uuid, resource_class)
    return util.no_content()
