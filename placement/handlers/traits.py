"""/traits and /resource_providers/{uuid}/traits (1.6)."""

from __future__ import annotations

import flask

from placement import errors, query, schemas, util
from placement.context import RequestContext
from placement.objects import trait as trait_obj


def list_traits(ctx: RequestContext) -> flask.Response:
    """GET /traits?name=in:A,B|startswith:CUSTOM_&associated=true."""
    ctx.authorize("placement:traits:list")
    params = util.query_params({
        "type": "object", "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "associated": {"type": "string"}}})
    names = prefix = associated = None
    name = util.single(params, "name")
    if name is not None:
        if name.startswith("in:"):
            names = {n.strip() for n in name[3:].split(",") if n.strip()}
        elif name.startswith("startswith:"):
            prefix = name[len("startswith:"):]
        else:
            raise errors.BadRequest(
                f"Badly formatted name parameter. Expected name query string parameter in "
                f"form: ?name=[in|startswith]:[name1,name2|prefix]. Got: \"{name[:100]}\"")
    if "associated" in params:
        associated = query.parse_bool(params["associated"][0], "associated")
    traits = trait_obj.list_traits(ctx.db_url, names, prefix, associated)
    return util.json_response({"traits": traits})


def show_trait(ctx: RequestContext, name: str) -> flask.Response:
    """GET /traits/{name}: 204 if it exists."""
    ctx.authorize("placement:traits:show")
    trait_obj.trait_exists(ctx.db_url, name)
    return util.no_content()


def create_trait(ctx: RequestContext, name: str) -> flask.Response:
    """PUT /traits/{name}: 201 when created, 204 when it existed."""
    ctx.authorize("placement:traits:update")
    if not name.startswith("CUSTOM_"):
        raise errors.BadRequest(f"The trait name must start with 'CUSTOM_': {name[:100]}")
    util.validate(name, schemas.CUSTOM_NAME)
    created = trait_obj.create_custom(ctx.db_url, name)
    return flask.Response(status=201 if created else 204,
                          headers={"Location": f"/traits/{name}"})


def delete_trait(ctx: RequestContext, name: str) -> flask.Response:
    """DELETE /traits/{name}."""
    ctx.authorize("placement:traits:delete")
    trait_obj.delete_custom(ctx.db_url, name)
    return util.no_content()


def list_provider_traits(ctx: RequestContext, uuid: str) -> flask.Response:
    """GET /resource_providers/{uuid}/traits."""
    ctx.authorize("placement:resource_providers:traits:list")
    generation, traits = trait_obj.get_provider_traits(ctx.db_url, uuid)
    return util.json_response({"resource_provider_generation": generation, "traits": traits})


def set_provider_traits(ctx: RequestContext, uuid: str) -> flask.Response:
    """PUT /resource_providers/{uuid}/traits."""
    ctx.authorize("placement:resource_providers:traits:update")
    data = util.json_body(schemas.PROVIDER_TRAITS)
    generation, traits = trait_obj.set_provider_traits(
        ctx.db_url, uuid, data["resource_provider_generation"], data["traits"])
    return util.json_response({"resource_provider_generation": generation, "traits": traits})


def delete_provider_traits(ctx: RequestContext, uuid: str) -> flask.Response:
    """DELETE /resource_providers/{uuid}/traits."""
    ctx.authorize("placement:resource_providers:traits:delete")
    trait_obj.delete_provider_traits(ctx.db_url, uuid)
    return util.no_content()
