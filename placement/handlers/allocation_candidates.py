"""GET /allocation_candidates (1.10)."""

from __future__ import annotations

import json

import flask

from placement import errors, query, util
from placement.context import RequestContext
from placement.objects import candidates as cand_obj
from placement.objects import trait as trait_obj

# Per-group parameters and the microversion each appeared at.
_GROUP_PARAMS = {"resources": 10, "required": 17, "member_of": 21, "in_tree": 31}
_GLOBAL_PARAMS = {"limit": 16, "group_policy": 25, "root_required": 35, "same_subtree": 36}


def list_candidates(ctx: RequestContext) -> flask.Response:
    """GET /allocation_candidates."""
    ctx.authorize("placement:allocation_candidates:list")
    params = util.query_params()
    request = parse_request(ctx, params)
    cand_obj.check_request(request)
    trait_obj.check_known(ctx.db_url, request.root_traits.names().union(
        *(group.traits.names() for group in request.groups)))
    conf = flask.current_app.config["PLACEMENT_CONF"]
    body = cand_obj.find(ctx.db_url, request,
                         randomize=conf.placement.randomize_allocation_candidates,
                         render=lambda found: render(ctx, found))
    return flask.Response(body, status=200, mimetype="application/json")


def parse_request(ctx: RequestContext, params: dict[str, list[str]]
                  ) -> cand_obj.CandidateRequest:
    """The candidate request a query string describes."""
    groups: dict[str, cand_obj.RequestGroup] = {}
    request = cand_obj.CandidateRequest(groups=[], nested=ctx.at_least(29),
                                        all_summary_classes=ctx.at_least(27))
    for key, values in params.items():
        if key in _GLOBAL_PARAMS and ctx.at_least(_GLOBAL_PARAMS[key]):
            _global(ctx, request, key, values)
            continue
        base, suffix = _split(ctx, key)
        if key != base and len(values) > 1 and base != "member_of":
            raise errors.BadRequest(f"Invalid query string parameters: '{key}' repeated")
        group = groups.setdefault(suffix, cand_obj.RequestGroup(suffix=suffix))
        _group_param(ctx, group, base, values)
    request.groups = sorted(groups.values(), key=lambda g: g.suffix)
    for group in request.groups:
        if group.suffix and not group.resources and not ctx.at_least(36):
            raise errors.BadRequest(
                f"All request groups must specify resources; 'resources{group.suffix}' "
                "is missing.")
    return request


def _split(ctx: RequestContext, key: str) -> tuple[str, str]:
    """A parameter name as (base, group suffix), or BadRequest if unknown."""
    for base, minor in _GROUP_PARAMS.items():
        if not ctx.at_least(minor):
            continue
        if key == base:
            return base, ""
        if ctx.at_least(25) and (base != "in_tree" or ctx.at_least(31)):
            suffix = query.group_suffix(key, base, ctx.version)
            if suffix is not None:
                return base, suffix
    raise errors.BadRequest(f"Invalid query string parameters: unknown parameter {key[:80]}")


def _group_param(ctx: RequestContext, group: cand_obj.RequestGroup, base: str,
                 values: list[str]) -> None:
    if base == "resources":
        if len(values) > 1:
            raise errors.BadRequest("Invalid query string parameters: 'resources' repeated")
        group.resources = query.parse_resources(values[0])
    elif base == "required":
        group.traits = query.parse_traits(values, ctx.version, "required" + group.suffix)
    elif base == "member_of":
        group.member_of = query.parse_member_of(values, ctx.version)
    else:
        if len(values) > 1 or not query.is_uuid(values[0]):
            raise errors.BadRequest(
                f"Invalid query string parameters: Expected 'in_tree{group.suffix}' to be "
                "one valid uuid.")
        group.in_tree = values[0]


def _global(ctx: RequestContext, request: cand_obj.CandidateRequest, key: str,
            values: list[str]) -> None:
    if key != "same_subtree" and len(values) > 1:
        raise errors.BadRequest(f"Invalid query string parameters: '{key}' repeated")
    if key == "limit":
        request.limit = query.parse_positive_int(values[0], "limit")
    elif key == "group_policy":
        if values[0] not in ("none", "isolate"):
            raise errors.BadRequest(
                "Invalid query string parameters: 'group_policy' must be 'none' or 'isolate'")
        request.group_policy = values[0]
    elif key == "root_required":
        request.root_traits = query.parse_traits(values, ctx.version, "root_required")
        if request.root_traits.any_of:
            raise errors.BadRequest("'root_required' does not support 'in:'.")
    else:
        request.same_subtree = [[s.strip() for s in v.split(",")] for v in values]


def render(ctx: RequestContext, found: cand_obj.Candidates) -> str:
    """The JSON body of the answer, as ``json.dumps`` would write it.

    Built from fragments: each provider's summary is rendered once and kept on the
    index's provider until its usage changes, each distinct resources dict once per
    request; what changes per candidate is joined as strings. Runs under the
    index lock.
    """
    providers = found.providers
    resources_json: dict[tuple, str] = {}

    def resources(res: dict[str, int]) -> str:
        key = tuple(res.items())
        text = resources_json.get(key)
        if text is None:
            text = resources_json[key] = json.dumps(res)
        return text

    requests = []
    if not ctx.at_least(12):
        for allocations, _mappings in found.requests:
            requests.append('{"allocations": [' + ", ".join(
                f'{{"resource_provider": {{"uuid": {providers[p].uuid_json}}}, '
                f'"resources": {resources(allocations[p])}}}'
                for p in sorted(allocations)) + "]}")
    else:
        with_mappings = ctx.at_least(34)
        suffix_json: dict[str, str] = {}
        for allocations, mappings in found.requests:
            if len(allocations) == 1:
                # One provider (the usual case): no sorting, no generator.
                for p, res in allocations.items():
                    text = (f'{{"allocations": {{{providers[p].uuid_json}: '
                            f'{{"resources": {resources(res)}}}}}')
            else:
                text = '{"allocations": {' + ", ".join(
                    f'{providers[p].uuid_json}: {{"resources": {resources(allocations[p])}}}'
                    for p in sorted(allocations)) + "}"
            if with_mappings:
                parts = []
                for s, ps in sorted(mappings.items()):
                    key = suffix_json.get(s)
                    if key is None:
                        key = suffix_json[s] = json.dumps(s)
                    parts.append(key + ": [" + ", ".join([providers[p].uuid_json for p in ps])
                                 + "]")
                text += ', "mappings": {' + ", ".join(parts) + "}"
            requests.append(text + "}")
    option = (found.summary_classes, ctx.at_least(17), ctx.at_least(29))
    summaries = []
    for pid in found.summaries:
        provider = providers[pid]
        rendered = provider.rendered
        if rendered is None:
            rendered = provider.rendered = {}
        text = rendered.get(option)
        if text is None:
            text = rendered[option] = _summary(provider, providers, found, option)
        summaries.append(text)
    return ('{"allocation_requests": [' + ", ".join(requests)
            + '], "provider_summaries": {' + ", ".join(summaries) + "}}")


def _summary(provider, providers: dict, found: cand_obj.Candidates, option: tuple) -> str:
    """``"uuid": {summary}`` of one provider."""
    classes, traits, nested = option
    names = found.rc_names
    entry: dict = {"resources": {
        names[rc]: {"capacity": int(inv.capacity), "used": provider.used.get(rc, 0)}
        for rc, inv in provider.inventory.items() if classes is None or rc in classes}}
    if traits:
        entry["traits"] = sorted(provider.traits)
    if nested:
        entry["parent_provider_uuid"] = (providers[provider.parent_id].uuid
                                         if provider.parent_id else None)
        entry["root_provider_uuid"] = providers[provider.root_id].uuid
    return provider.uuid_json + ": " + json.dumps(entry)
