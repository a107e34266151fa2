"""Authorization rules of the placement API, with their defaults in code.

Like upstream placement, nearly everything is for administrators and for the other
services (a Keystone user with the ``service`` role, as nova-compute uses); a
project's reader may see the usages of its own project. An operator may override any
rule with a policy file ([oslo_policy] policy_file).
"""

from __future__ import annotations

import time

from oslo_config import cfg
from oslo_policy import policy

from placement import errors

ADMIN = "role:admin"
SERVICE = "role:service"
ADMIN_OR_SERVICE = "rule:admin_or_service_api"
ADMIN_OR_PROJECT_READER_OR_SERVICE = "rule:admin_or_project_reader_or_service_api"
PROJECT_USAGES = "placement:usages"

# (rule name, description); each defaults to the admin-or-service rule.
_OPERATIONS = [
    ("placement:resource_providers:list", "List resource providers."),
    ("placement:resource_providers:create", "Create a resource provider."),
    ("placement:resource_providers:show", "Show a resource provider."),
    ("placement:resource_providers:update", "Update a resource provider."),
    ("placement:resource_providers:delete", "Delete a resource provider."),
    ("placement:resource_providers:inventories:list", "List a provider's inventories."),
    ("placement:resource_providers:inventories:update", "Change a provider's inventories."),
    ("placement:resource_providers:inventories:delete", "Delete a provider's inventories."),
    ("placement:resource_providers:aggregates:list", "List a provider's aggregates."),
    ("placement:resource_providers:aggregates:update", "Set a provider's aggregates."),
    ("placement:resource_providers:traits:list", "List a provider's traits."),
    ("placement:resource_providers:traits:update", "Set a provider's traits."),
    ("placement:resource_providers:traits:delete", "Remove a provider's traits."),
    ("placement:resource_providers:allocations:list", "List allocations on a provider."),
    ("placement:resource_providers:usages", "Show a provider's usages."),
    ("placement:resource_classes:list", "List resource classes."),
    ("placement:resource_classes:create", "Create a custom resource class."),
    ("placement:resource_classes:show", "Show a resource class."),
    ("placement:resource_classes:update", "Create or rename a custom resource class."),
    ("placement:resource_classes:delete", "Delete a custom resource class."),
    ("placement:traits:list", "List traits."),
    ("placement:traits:show", "Show a trait."),
    ("placement:traits:update", "Create a custom trait."),
    ("placement:traits:delete", "Delete a custom trait."),
    ("placement:allocations:list", "List a consumer's allocations."),
    ("placement:allocations:update", "Replace a consumer's allocations."),
    ("placement:allocations:manage", "Set allocations of several consumers."),
    ("placement:allocations:delete", "Delete a consumer's allocations."),
    ("placement:allocation_candidates:list", "List allocation candidates."),
    ("placement:reshaper:reshape", "Move inventories and allocations atomically."),
]


def default_rules() -> list[policy.RuleDefault]:
    """The rules with their in-code defaults (also for oslopolicy-sample-generator)."""
    rules = [
        policy.RuleDefault("admin_api", ADMIN, description="Administrators."),
        policy.RuleDefault("service_api", SERVICE, description="Other OpenStack services."),
        policy.RuleDefault("admin_or_service_api", f"{ADMIN} or {SERVICE}",
                           description="Administrators and other services."),
        policy.RuleDefault("project_reader_api", "role:reader and project_id:%(project_id)s",
                           description="Readers of the project the target belongs to."),
        policy.RuleDefault("admin_or_project_reader_or_service_api",
                           f"{ADMIN} or rule:project_reader_api or {SERVICE}",
                           description="Administrators, services and the project's readers."),
        policy.RuleDefault(PROJECT_USAGES, ADMIN_OR_PROJECT_READER_OR_SERVICE,
                           description="Show usages of a project (target: its project_id)."),
    ]
    rules += [policy.RuleDefault(name, ADMIN_OR_SERVICE, description=text)
              for name, text in _OPERATIONS]
    return rules


# Decisions are remembered this long: a changed policy file applies within it.
DECISION_SECONDS = 1.0
_MAX_DECISIONS = 4096


class Policy:
    """An oslo.policy enforcer bound to one configuration.

    oslo.policy looks at the policy files on every check (stat calls and option
    lookups: about a tenth of a millisecond); the same caller asking for the same
    action without a target gets the decision remembered for ``DECISION_SECONDS``.
    """

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(default_rules())
        self._decisions: dict[tuple, bool] = {}
        self._since = time.monotonic()

    def authorize(self, action: str, creds: dict, target: dict | None = None) -> None:
        """Raise Forbidden unless ``creds`` may perform ``action``."""
        if target:
            allowed = self._enforcer.enforce(action, target, creds)
        else:
            key = (action, creds.get("user_id"), creds.get("project_id"),
                   tuple(creds.get("roles") or ()), len(creds))
            now = time.monotonic()
            if now - self._since > DECISION_SECONDS or len(self._decisions) > _MAX_DECISIONS:
                self._decisions = {}
                self._since = now
            allowed = self._decisions.get(key)
            if allowed is None:
                allowed = self._decisions[key] = bool(self._enforcer.enforce(action, {}, creds))
        if not allowed:
            raise errors.Forbidden(f"Policy does not allow {action} to be performed.")
