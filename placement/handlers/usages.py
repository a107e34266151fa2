"""/resource_providers/{uuid}/usages and /usages (1.9)."""

from __future__ import annotations

import flask

from placement import errors, util
from placement.context import RequestContext
from placement.objects import usage as usage_obj


def provider_usages(ctx: RequestContext, uuid: str) -> flask.Response:
    """GET /resource_providers/{uuid}/usages."""
    ctx.authorize("placement:resource_providers:usages")
    generation, usages = usage_obj.provider_usages(ctx.db_url, uuid)
    return util.json_response({"resource_provider_generation": generation, "usages": usages})


def project_usages(ctx: RequestContext) -> flask.Response:
    """GET /usages?project_id=&user_id=[&consumer_type= (1.38)]."""
    # Checked before the query is validated, as upstream: a project's reader may
    # ask about its own project only.
    ctx.authorize("placement:usages", {"project_id": flask.request.args.get("project_id"),
                                       "user_id": flask.request.args.get("user_id")})
    properties = {"project_id": {"type": "string", "minLength": 1, "maxLength": 255},
                  "user_id": {"type": "string", "minLength": 1, "maxLength": 255}}
    if ctx.at_least(38):
        properties["consumer_type"] = {"type": "string", "minLength": 1, "maxLength": 255}
    params = util.query_params({"type": "object", "properties": properties,
                                "additionalProperties": False})
    project_id = util.single(params, "project_id")
    if project_id is None:
        raise errors.BadRequest("Invalid query string parameters: 'project_id' is a "
                                "required property")
    user_id = util.single(params, "user_id")
    if ctx.at_least(38):
        usages = usage_obj.project_usages_by_type(ctx.db_url, project_id, user_id,
                                                  util.single(params, "consumer_type"))
    else:
        usages = usage_obj.project_usages(ctx.db_url, project_id, user_id)
    return util.json_response({"usages": usages})
