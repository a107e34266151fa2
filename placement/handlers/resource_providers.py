"""/resource_providers and /resource_providers/{uuid}."""

from __future__ import annotations

import flask

from placement import errors, query, schemas, util
from placement.context import RequestContext
from placement.objects import resource_provider as rp_obj
from placement.objects import trait as trait_obj

_LIST_PARAMS = {
    # minimum microversion of each GET /resource_providers filter
    "uuid": 0, "name": 0, "member_of": 3, "resources": 4, "in_tree": 14, "required": 18,
}


def serialize(ctx: RequestContext, provider: dict) -> dict:
    """A provider as the API shows it at ``ctx``'s microversion."""
    base = f"/resource_providers/{provider['uuid']}"
    links = [{"rel": "self", "href": base},
             {"rel": "inventories", "href": f"{base}/inventories"},
             {"rel": "usages", "href": f"{base}/usages"}]
    if ctx.at_least(1):
        links.append({"rel": "aggregates", "href": f"{base}/aggregates"})
    if ctx.at_least(6):
        links.append({"rel": "traits", "href": f"{base}/traits"})
    if ctx.at_least(11):
        links.append({"rel": "allocations", "href": f"{base}/allocations"})
    body = {"uuid": provider["uuid"], "name": provider["name"],
            "generation": provider["generation"], "links": links}
    if ctx.at_least(14):
        body["parent_provider_uuid"] = provider["parent_provider_uuid"]
        body["root_provider_uuid"] = provider["root_provider_uuid"]
    return body


def list_providers(ctx: RequestContext) -> flask.Response:
    """GET /resource_providers with its filters."""
    ctx.authorize("placement:resource_providers:list")
    params = util.query_params()
    allowed = {k for k, minor in _LIST_PARAMS.items() if ctx.at_least(minor)}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise errors.BadRequest(
            f"Invalid query string parameters: unknown parameter(s) {', '.join(unknown)}")
    providers = rp_obj.list_providers(ctx.db_url, _provider_query(ctx, params))
    ctx.last_modified = max((p["updated_at"] for p in providers), default=None)
    return util.json_response(
        {"resource_providers": [serialize(ctx, p) for p in providers]})


def _provider_query(ctx: RequestContext, params: dict[str, list[str]]) -> rp_obj.ProviderQuery:
    for key, values in params.items():
        if len(values) > 1 and key != "member_of" and not (key == "required"
                                                            and ctx.at_least(39)):
            raise errors.BadRequest(f"Invalid query string parameters: '{key}' repeated")
    found = rp_obj.ProviderQuery(uuid=util.single(params, "uuid"),
                                 name=util.single(params, "name"),
                                 in_tree=util.single(params, "in_tree"))
    for key in ("uuid", "in_tree"):
        value = util.single(params, key)
        if value is not None and not query.is_uuid(value):
            raise errors.BadRequest(
                f"Invalid query string parameters: '{key}' is not a valid uuid")
    if "member_of" in params:
        found.member_of = query.parse_member_of(params["member_of"], ctx.version)
    if "resources" in params:
        found.resources = query.parse_resources(params["resources"][0])
    if "required" in params:
        found.traits = query.parse_traits(params["required"], ctx.version)
        trait_obj.check_known(ctx.db_url, found.traits.names())
    return found


def create_provider(ctx: RequestContext) -> flask.Response:
    """POST /resource_providers: 201 with a Location, from 1.20 200 with the body."""
    ctx.authorize("placement:resource_providers:create")
    data = util.json_body(schemas.provider(ctx.version))
    provider = rp_obj.create_provider(ctx.db_url, data["name"], data.get("uuid"),
                                      data.get("parent_provider_uuid"))
    location = {"Location": f"/resource_providers/{provider['uuid']}"}
    if ctx.at_least(20):
        ctx.last_modified = provider["updated_at"]
        return util.json_response(serialize(ctx, provider), headers=location)
    return flask.Response(status=201, headers=location)


def show_provider(ctx: RequestContext, uuid: str) -> flask.Response:
    """GET /resource_providers/{uuid}."""
    ctx.authorize("placement:resource_providers:show")
    provider = rp_obj.get_provider(ctx.db_url, uuid)
    ctx.last_modified = provider["updated_at"]
    return util.json_response(serialize(ctx, provider))


def update_provider(ctx: RequestContext, uuid: str) -> flask.Response:
    """PUT /resource_providers/{uuid}: name, and parent from 1.14 (any move at 1.37)."""
    ctx.authorize("placement:resource_providers:update")
    data = util.json_body(schemas.provider(ctx.version, update=True))
    provider = rp_obj.update_provider(
        ctx.db_url, uuid, data["name"], data.get("parent_provider_uuid", rp_obj.UNSET),
        allow_reparent=ctx.at_least(37))
    ctx.last_modified = provider["updated_at"]
    return util.json_response(serialize(ctx, provider))


def delete_provider(ctx: RequestContext, uuid: str) -> flask.Response:
    """DELETE /resource_providers/{uuid}."""
    ctx.authorize("placement:resource_providers:delete")
    rp_obj.delete_provider(ctx.db_url, uuid)
    return util.no_content()
