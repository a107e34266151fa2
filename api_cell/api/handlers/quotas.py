"""/v2.1/limits and /v2.1/os-quota-sets"""

from __future__ import annotations

from typing import Any

from api_cell.api import errors, policies, request
from api_cell.api.domain import quotas
from api_cell.api.schemas import quotas as schemas

_PROJECT_ID_MAX = 255
_ABSOLUTE = {"maxServerMeta": "metadata_items", "maxTotalKeypairs": "key_pairs",
             "maxTotalCores": "cores", "maxTotalInstances": "instances",
             "maxTotalRAMSize": "ram", "maxServerGroups": "server_groups",
             "maxServerGroupMembers": "server_group_members"}


def _shown(version_limits: dict[str, int]) -> dict[str, int]:
    """The resources a quota set shows at this microversion."""
    hidden = set()
    if request.at_least("2.36"):
        hidden |= set(quotas.NETWORK_DEFAULTS)
    if request.at_least("2.57"):
        hidden |= set(quotas.INJECTED_DEFAULTS)
    return {k: v for k, v in version_limits.items() if k not in hidden}


def limits() -> dict:
    """GET /limits (admins may pass ``tenant_id``)."""
    context = request.context()
    request.authorize(policies.LIMITS)
    project_id = _project(request.query().get("tenant_id") or context.project_id)
    if project_id != context.project_id:
        request.authorize(policies.LIMITS_OTHER_PROJECT)
    backends = request.backends()
    limit = quotas.limits(backends, project_id)
    used = quotas.in_use(backends, context, project_id)
    absolute: dict[str, Any] = {name: limit[res] for name, res in _ABSOLUTE.items()}
    absolute.update({"totalCoresUsed": used["cores"], "totalInstancesUsed": used["instances"],
                     "totalRAMUsed": used["ram"],
                     "totalServerGroupsUsed": used["server_groups"]})
    if not request.at_least("2.57"):
        absolute["maxPersonality"] = limit["injected_files"]
        absolute["maxPersonalitySize"] = limit["injected_file_content_bytes"]
    if not request.at_least("2.39"):
        absolute["maxImageMeta"] = limit["metadata_items"]
    if not request.at_least("2.36"):
        absolute.update({"maxSecurityGroups": limit["security_groups"],
                         "maxSecurityGroupRules": limit["security_group_rules"],
                         "maxTotalFloatingIps": limit["floating_ips"],
                         "totalFloatingIpsUsed": 0, "totalSecurityGroupsUsed": 0})
    return {"limits": {"rate": [], "absolute": absolute}}


def _project(project_id: str) -> str:
    """``project_id`` if it can name a project: longer ones fit no database column
    and placement refuses them."""
    if len(project_id) > _PROJECT_ID_MAX:
        raise errors.BadRequest(f"Invalid project id: longer than {_PROJECT_ID_MAX} "
                                "characters")
    return project_id


def _target(project_id: str, rule: str) -> None:
    request.authorize(rule, {"project_id": _project(project_id)})


def show(project_id: str) -> dict:
    """GET /os-quota-sets/{project_id}"""
    _target(project_id, policies.QUOTAS_SHOW)
    shown = _shown(quotas.limits(request.backends(), project_id))
    return {"quota_set": {"id": project_id, **shown}}


def detail(project_id: str) -> dict:
    """GET /os-quota-sets/{project_id}/detail: limit, in_use and reserved of each."""
    _target(project_id, policies.QUOTAS_DETAIL)
    backends = request.backends()
    used = quotas.in_use(backends, request.context(), project_id)
    shown = _shown(quotas.limits(backends, project_id))
    return {"quota_set": {"id": project_id, **{
        name: {"limit": value, "in_use": used.get(name, 0), "reserved": 0}
        for name, value in shown.items()}}}


def defaults(project_id: str) -> dict:
    """GET /os-quota-sets/{project_id}/defaults"""
    request.authorize(policies.QUOTAS_DEFAULTS)
    return {"quota_set": {"id": project_id, **_shown(dict(quotas.ALL_DEFAULTS))}}


def update(project_id: str) -> dict:
    """PUT /os-quota-sets/{project_id} (admin)."""
    _target(project_id, policies.QUOTAS_UPDATE)
    version = tuple(request.version())
    fields = request.body(schemas.update(version), "quota_set", schemas.resources(version))
    force = str(fields.pop("force", False)).lower() in ("true", "1", "yes")
    if request.query().get("user_id"):
        raise errors.BadRequest("Per-user quotas are not supported by this cloud.")
    backends = request.backends()
    if not force:
        used = quotas.in_use(backends, request.context(), project_id)
        for name, value in fields.items():
            if name in used and name != "key_pairs" and 0 <= value < used[name]:
                raise errors.BadRequest(f"Quota limit {value} for {name} must be greater "
                                        f"than or equal to already used and reserved "
                                        f"{used[name]}.")
    quotas.set_limits(backends, project_id, fields)
    return {"quota_set": _shown(quotas.limits(backends, project_id))}


def delete(project_id: str) -> tuple[str, int]:
    """DELETE /os-quota-sets/{project_id} (admin): back to the defaults (202)."""
    _target(project_id, policies.QUOTAS_DELETE)
    quotas.reset(request.backends(), project_id)
    return "", 202


