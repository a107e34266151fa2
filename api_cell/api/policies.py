"""Authorization rules of the compute API, with their defaults in code (oslo.policy).

An operator overrides any of them in the policy file named by ``[oslo_policy]
policy_file``. Ownership is checked before policy: a project never learns that
another project's server exists (404), so these rules decide what an owner or an
administrator may do.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_policy import policy

from api_cell.api import errors
from api_cell.api.context import RequestContext

ADMIN = "role:admin"
ADMIN_OR_OWNER = "role:admin or project_id:%(project_id)s"
ANYONE = "@"

FLAVOR_CREATE = "os_compute_api:os-flavor-manage:create"
FLAVOR_DELETE = "os_compute_api:os-flavor-manage:delete"
IMAGE_CREATE = "os_compute_api:images:create"
IMAGE_DELETE = "os_compute_api:images:delete"
SERVERS_INDEX = "os_compute_api:servers:index"
SERVERS_ALL_TENANTS = "os_compute_api:servers:index:get_all_tenants"
SERVERS_SHOW = "os_compute_api:servers:show"
SERVERS_SHOW_HOST = "os_compute_api:os-extended-server-attributes"
SERVERS_CREATE = "os_compute_api:servers:create"
SERVERS_DELETE = "os_compute_api:servers:delete"
SERVERS_START = "os_compute_api:servers:start"
SERVERS_STOP = "os_compute_api:servers:stop"
SERVERS_REBOOT = "os_compute_api:servers:reboot"

RULES = [
    policy.RuleDefault(FLAVOR_CREATE, ADMIN, "Create a flavor."),
    policy.RuleDefault(FLAVOR_DELETE, ADMIN, "Delete a flavor."),
    policy.RuleDefault(IMAGE_CREATE, ADMIN, "Register an image."),
    policy.RuleDefault(IMAGE_DELETE, ADMIN, "Delete an image."),
    policy.RuleDefault(SERVERS_INDEX, ANYONE, "List the servers of one's project."),
    policy.RuleDefault(SERVERS_ALL_TENANTS, ADMIN, "List the servers of every project."),
    policy.RuleDefault(SERVERS_SHOW, ADMIN_OR_OWNER, "Show a server."),
    policy.RuleDefault(SERVERS_SHOW_HOST, ADMIN, "See the host a server runs on."),
    policy.RuleDefault(SERVERS_CREATE, ANYONE, "Create a server."),
    policy.RuleDefault(SERVERS_DELETE, ADMIN_OR_OWNER, "Delete a server."),
    policy.RuleDefault(SERVERS_START, ADMIN_OR_OWNER, "Start a server."),
    policy.RuleDefault(SERVERS_STOP, ADMIN_OR_OWNER, "Stop a server."),
    policy.RuleDefault(SERVERS_REBOOT, ADMIN_OR_OWNER, "Reboot a server."),
]


class Authorizer:
    """Checks a caller against the rules; one per application."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.enforcer = policy.Enforcer(conf)
        self.enforcer.register_defaults(RULES)

    def allowed(self, context: RequestContext, rule: str,
                target: dict[str, object] | None = None) -> bool:
        """Whether ``rule`` lets the caller act on ``target``."""
        target = target if target is not None else {"project_id": context.project_id}
        return self.enforcer.authorize(rule, target, context.policy_credentials(),
                                       do_raise=False)

    def authorize(self, context: RequestContext, rule: str,
                  target: dict[str, object] | None = None) -> None:
        """Forbidden unless ``rule`` lets the caller act on ``target``."""
        if not self.allowed(context, rule, target):
            raise errors.Forbidden(f"Policy doesn't allow {rule} to be performed.")


def list_rules() -> list[policy.RuleDefault]:
    """The defaults, for oslopolicy-sample-generator."""
    return list(RULES)
