"""The OpenAPI 3.1 description of the compute API, generated from the route table.

Every route of ``routes.ROUTES`` served at the chosen microversion becomes an
operation; its path parameters come from the route's path, its request body from
``BODIES`` (the same schemas the handlers validate with), and its responses are
generic: success, or Nova's error body with the request id headers. Nothing here is
written by hand per operation, so the document cannot drift from what is served.

``python -m api_cell.api.openapi [--version 2.N]`` prints the document.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from api_cell.api import microversions, routes
from api_cell.api.handlers import server_actions, versions
from api_cell.api.schemas import aggregates as aggregate_schemas
from api_cell.api.schemas import flavors as flavor_schemas
from api_cell.api.schemas import hosts as host_schemas
from api_cell.api.schemas import identity as identity_schemas
from api_cell.api.schemas import images as image_schemas
from api_cell.api.schemas import keypairs as keypair_schemas
from api_cell.api.schemas import quotas as quota_schemas
from api_cell.api.schemas import server_groups as group_schemas
from api_cell.api.schemas import server_metadata as metadata_schemas
from api_cell.api.schemas import servers as server_schemas

OPENAPI_VERSION = "3.1.0"
TITLE = "Cellar compute API"
SECURITY_SCHEME = "token"
AUTH_HEADER = "X-Auth-Token"
REQUEST_ID_HEADERS = ("X-OpenStack-Request-Id", "X-Compute-Request-Id")

# A body's schema at a microversion (given as a (major, minor) tuple).
BodySchema = Callable[[tuple[int, int]], dict[str, Any]]
V = routes.V


def _fixed(schema: dict[str, Any]) -> BodySchema:
    return lambda _version: schema


def _one_of(envelopes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"oneOf": list(envelopes)}


def _server_action(version: tuple[int, int]) -> dict[str, Any]:
    """One of the actions of the action handler's table, each ``{name: argument}``."""
    return _one_of({"type": "object", "properties": {name: entry.schema(version)},
                    "required": [name], "additionalProperties": False}
                   for name, entry in server_actions.ACTIONS.items())


# The request body of each route that takes one, by endpoint; the handlers validate
# with these same schemas.
BODIES: dict[str, BodySchema] = {
    "POST /identity/v3/auth/tokens": _fixed(identity_schemas.AUTH),
    f"POST {V}/flavors": flavor_schemas.create,
    f"PUT {V}/flavors/<flavor_id>": _fixed(flavor_schemas.UPDATE),
    f"POST {V}/flavors/<flavor_id>/action":
        _fixed(_one_of(flavor_schemas.ACCESS_ACTIONS.values())),
    f"POST {V}/flavors/<flavor_id>/os-extra_specs": _fixed(flavor_schemas.EXTRA_SPECS_CREATE),
    f"PUT {V}/flavors/<flavor_id>/os-extra_specs/<key>":
        _fixed(flavor_schemas.EXTRA_SPEC_UPDATE),
    f"POST {V}/images": _fixed(image_schemas.CREATE),
    f"POST {V}/servers": server_schemas.create,
    f"PUT {V}/servers/<server_id>": server_schemas.update,
    f"POST {V}/servers/<server_id>/action": _server_action,
    f"POST {V}/servers/<server_id>/metadata": _fixed(metadata_schemas.METADATA),
    f"PUT {V}/servers/<server_id>/metadata": _fixed(metadata_schemas.METADATA),
    f"PUT {V}/servers/<server_id>/metadata/<key>": _fixed(metadata_schemas.META_ITEM),
    f"PUT {V}/servers/<server_id>/tags": _fixed(metadata_schemas.TAGS),
    f"POST {V}/os-keypairs": lambda version: keypair_schemas.create(
        version >= (2, 2), version >= (2, 10), version >= (2, 92)),
    f"POST {V}/os-server-groups": lambda version: group_schemas.create(
        version >= (2, 15), version >= (2, 64)),
    f"PUT {V}/os-services/<action>": host_schemas.service_update,
    f"PUT {V}/os-quota-sets/<project_id>": quota_schemas.update,
    f"POST {V}/os-aggregates": _fixed(aggregate_schemas.CREATE),
    f"PUT {V}/os-aggregates/<aggregate_id>": _fixed(aggregate_schemas.UPDATE),
    f"POST {V}/os-aggregates/<aggregate_id>/action":
        _fixed(_one_of(aggregate_schemas.ACTIONS.values())),
}

# Writes whose body is not read: the path says it all, or (image caching) the
# operation is refused whatever the body.
BODILESS: frozenset[str] = frozenset({
    f"PUT {V}/servers/<server_id>/tags/<tag>",
    f"POST {V}/os-aggregates/<aggregate_id>/images",
})

# The query parameters of the routes whose handlers name them in one place.
QUERIES: dict[str, frozenset[str]] = {
    f"GET {V}/servers": server_schemas.LIST_PARAMS,
    f"GET {V}/servers/detail": server_schemas.LIST_PARAMS,
}

_PARAM = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")

FAULT = {
    "type": "object",
    "description": "Nova's error body: one key, the fault's name.",
    "minProperties": 1, "maxProperties": 1,
    "additionalProperties": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
        "required": ["code", "message"]},
}


def document(version: microversions.Version = microversions.MAX_VERSION,
             server_url: str | None = None,
             table: Sequence[routes.Route] | None = None) -> dict[str, Any]:
    """The OpenAPI document of the routes of ``table`` (all routes by default)
    served at ``version``; ``server_url`` is where clients reach them."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes.ROUTES if table is None else table:
        if _served(route, version):
            operations = paths.setdefault(openapi_path(route.path), {})
            operations[route.method.lower()] = _operation(route, version)
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": str(version),
                 "description": f"The compute API at microversion {version} (from "
                                f"{microversions.MIN_VERSION} to "
                                f"{microversions.MAX_VERSION} are served)."},
        "paths": paths,
        "components": _components(),
        "security": [{SECURITY_SCHEME: []}],
    }
    if server_url:
        doc["servers"] = [{"url": server_url.rstrip("/") or "/"}]
    return doc


def openapi_path(flask_path: str) -> str:
    """``/servers/<server_id>`` -> ``/servers/{server_id}`` (converters dropped)."""
    return _PARAM.sub(r"{\1}", flask_path)


def _served(route: routes.Route, version: microversions.Version) -> bool:
    first = getattr(route.handler, "served_since", None)
    last = getattr(route.handler, "served_until", None)
    return ((first is None or version >= microversions.parse(first))
            and (last is None or version <= microversions.parse(last)))


def _versioned(route: routes.Route) -> bool:
    """Whether the route negotiates a microversion (everything under /v2.1)."""
    return route.path == V or route.path.startswith(f"{V}/")


def _operation(route: routes.Route, version: microversions.Version) -> dict[str, Any]:
    handler = route.handler
    module = handler.__module__.rsplit(".", 1)[-1]
    operation: dict[str, Any] = {
        "operationId": f"{module}.{handler.__name__}",
        "summary": (handler.__doc__ or route.endpoint).strip().splitlines()[0],
        "tags": [module],
        "parameters": _parameters(route),
        "responses": _responses(route),
    }
    if route.public:
        operation["security"] = []
    body = BODIES.get(route.endpoint)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": json_schema(body(tuple(version)))}}}
    return operation


def _parameters(route: routes.Route) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "minLength": 1}}
        for name in _PARAM.findall(route.path)]
    parameters += [{"name": name, "in": "query", "required": False,
                    "schema": {"type": "string"}}
                   for name in sorted(QUERIES.get(route.endpoint, ()))]
    if _versioned(route):
        parameters += [{"$ref": "#/components/parameters/OpenStackAPIVersion"},
                       {"$ref": "#/components/parameters/NovaAPIVersion"}]
    return parameters


def _responses(route: routes.Route) -> dict[str, Any]:
    success_headers = _request_id_headers()
    if _versioned(route):
        success_headers.update({
            name: {"$ref": f"#/components/headers/{ref}"}
            for name, ref in ((microversions.HEADER, "OpenStackAPIVersion"),
                              (microversions.LEGACY_HEADER, "NovaAPIVersion"))})
    responses: dict[str, Any] = {
        "2XX": {"description": "Success; the body (if any) is the resource's JSON view.",
                "headers": success_headers},
        "4XX": {"$ref": "#/components/responses/Fault"},
        "503": {"$ref": "#/components/responses/Fault"},
    }
    if route.handler is versions.index:
        # Nova answers the root with Multiple Choices: the client picks a version.
        responses[str(versions.MULTIPLE_CHOICES)] = {
            "description": "The major versions served.", "headers": _request_id_headers()}
    return responses


def _request_id_headers() -> dict[str, Any]:
    return {name: {"$ref": "#/components/headers/RequestId"} for name in REQUEST_ID_HEADERS}


def _components() -> dict[str, Any]:
    version_text = {"type": "string",
                    "description": f"A microversion from {microversions.MIN_VERSION} to "
                                   f"{microversions.MAX_VERSION}, or latest."}
    return {
        "securitySchemes": {SECURITY_SCHEME: {
            "type": "apiKey", "in": "header", "name": AUTH_HEADER,
            "description": "A Keystone token (with [api] auth_strategy = noauth2: "
                           "'admin', or 'user:project')."}},
        "schemas": {"Fault": FAULT},
        "parameters": {
            "OpenStackAPIVersion": {
                "name": microversions.HEADER, "in": "header", "required": False,
                "description": f"'{microversions.SERVICE_TYPE} <version>'; wins over "
                               f"{microversions.LEGACY_HEADER}.",
                "schema": {"type": "string"}},
            "NovaAPIVersion": {
                "name": microversions.LEGACY_HEADER, "in": "header", "required": False,
                "description": "The version alone (before 2.27 the only header).",
                "schema": version_text}},
        "headers": {
            "RequestId": {"required": True, "description": "The request's id (req-<uuid>).",
                          "schema": {"type": "string"}},
            "OpenStackAPIVersion": {"required": True, "schema": {"type": "string"},
                                    "description": "'compute <version>' that answered."},
            "NovaAPIVersion": {"required": True, "schema": {"type": "string"},
                               "description": "The version that answered."}},
        "responses": {"Fault": {
            "description": "The request failed; the body says why, in Nova's format.",
            "headers": _request_id_headers(),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Fault"}}}}},
    }


def json_schema(draft4: dict[str, Any]) -> dict[str, Any]:
    """``draft4`` (the validators' dialect) in JSON Schema 2020-12, OpenAPI 3.1's:
    only the boolean ``exclusiveMinimum``/``exclusiveMaximum`` differ."""
    converted = copy.deepcopy(draft4)
    _convert(converted)
    return converted


def _convert(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _convert(item)
        return
    if not isinstance(node, dict):
        return
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(exclusive), bool):
            if node.pop(exclusive) and bound in node:
                node[exclusive] = node.pop(bound)
    for key, value in node.items():
        # Property names are data, not keywords: walk their schemas only.
        if key in ("properties", "patternProperties"):
            for schema in value.values():
                _convert(schema)
        else:
            _convert(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the document (at the newest microversion unless ``--version``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=str(microversions.MAX_VERSION),
                        help="the microversion to describe")
    args = parser.parse_args(argv)
    version = microversions.parse(args.version)
    if not microversions.MIN_VERSION <= version <= microversions.MAX_VERSION:
        parser.error(f"{version} is not served")
    json.dump(document(version), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
