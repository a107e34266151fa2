"""/resource_classes (1.2)."""

from __future__ import annotations

import flask

from placement import errors, schemas, util
from placement.context import RequestContext
from placement.objects import resource_class as rc_obj


def _one(name: str) -> dict:
    return {"name": name, "links": [{"rel": "self", "href": f"/resource_classes/{name}"}]}


def list_classes(ctx: RequestContext) -> flask.Response:
    """GET /resource_classes."""
    ctx.authorize("placement:resource_classes:list")
    classes = rc_obj.list_classes(ctx.db_url)
    return util.json_response({"resource_classes": [_one(c["name"]) for c in classes]})


def create_class(ctx: RequestContext) -> flask.Response:
    """POST /resource_classes."""
    ctx.authorize("placement:resource_classes:create")
    name = util.json_body(schemas.RESOURCE_CLASS)["name"]
    rc_obj.create_class(ctx.db_url, name)
    return flask.Response(status=201, headers={"Location": f"/resource_classes/{name}"})


def show_class(ctx: RequestContext, name: str) -> flask.Response:
    """GET /resource_classes/{name}."""
    ctx.authorize("placement:resource_classes:show")
    found = rc_obj.get_class(ctx.db_url, name)
    ctx.last_modified = found["updated_at"]
    return util.json_response(_one(found["name"]))


def update_class(ctx: RequestContext, name: str) -> flask.Response:
    """PUT /resource_classes/{name}: rename (1.2-1.6) or create without a body (1.7)."""
    ctx.authorize("placement:resource_classes:update")
    if ctx.at_least(7):
        util.validate(name, schemas.CUSTOM_NAME)
        created = rc_obj.ensure_class(ctx.db_url, name)
        return flask.Response(status=201 if created else 204,
                              headers={"Location": f"/resource_classes/{name}"})
    new_name = util.json_body(schemas.RESOURCE_CLASS)["name"]
    rc_obj.rename_class(ctx.db_url, name, new_name)
    return util.json_response(_one(new_name))


def delete_class(ctx: RequestContext, name: str) -> flask.Response:
    """DELETE /resource_classes/{name}."""
    ctx.authorize("placement:resource_classes:delete")
    if not name.startswith("CUSTOM_") and name not in rc_obj.STANDARD_IDS:
        raise errors.NotFound(f"No such resource class {name}.")
    rc_obj.delete_class(ctx.db_url, name)
    return util.no_content()
