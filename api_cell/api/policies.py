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
ADMIN_OR_USER = "role:admin or user_id:%(user_id)s"

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
SERVERS_HOST_STATUS = "os_compute_api:servers:show:host_status"
FLAVOR_EXTRA_SPECS_INDEX = "os_compute_api:os-flavor-extra-specs:index"
KEYPAIRS_INDEX = "os_compute_api:os-keypairs:index"
KEYPAIRS_SHOW = "os_compute_api:os-keypairs:show"
KEYPAIRS_CREATE = "os_compute_api:os-keypairs:create"
KEYPAIRS_DELETE = "os_compute_api:os-keypairs:delete"
METADATA_INDEX = "os_compute_api:server-metadata:index"
METADATA_SHOW = "os_compute_api:server-metadata:show"
METADATA_CREATE = "os_compute_api:server-metadata:create"
METADATA_UPDATE = "os_compute_api:server-metadata:update"
METADATA_UPDATE_ALL = "os_compute_api:server-metadata:update_all"
METADATA_DELETE = "os_compute_api:server-metadata:delete"
TAGS_INDEX = "os_compute_api:os-server-tags:index"
TAGS_SHOW = "os_compute_api:os-server-tags:show"
TAGS_UPDATE = "os_compute_api:os-server-tags:update"
TAGS_UPDATE_ALL = "os_compute_api:os-server-tags:update_all"
TAGS_DELETE = "os_compute_api:os-server-tags:delete"
TAGS_DELETE_ALL = "os_compute_api:os-server-tags:delete_all"
ACTIONS_LIST = "os_compute_api:os-instance-actions:list"
ACTIONS_SHOW = "os_compute_api:os-instance-actions:show"
ACTIONS_EVENTS = "os_compute_api:os-instance-actions:events"
ACTIONS_EVENTS_DETAILS = "os_compute_api:os-instance-actions:events:details"
GROUPS_INDEX = "os_compute_api:os-server-groups:index"
GROUPS_INDEX_ALL = "os_compute_api:os-server-groups:index:all_projects"
GROUPS_SHOW = "os_compute_api:os-server-groups:show"
GROUPS_CREATE = "os_compute_api:os-server-groups:create"
GROUPS_DELETE = "os_compute_api:os-server-groups:delete"
SERVICES_LIST = "os_compute_api:os-services:list"
SERVICES_UPDATE = "os_compute_api:os-services:update"
SERVICES_DELETE = "os_compute_api:os-services:delete"
HYPERVISORS_LIST = "os_compute_api:os-hypervisors:list"
HYPERVISORS_DETAIL = "os_compute_api:os-hypervisors:list-detail"
HYPERVISORS_SHOW = "os_compute_api:os-hypervisors:show"
HYPERVISORS_SERVERS = "os_compute_api:os-hypervisors:servers"
AZ_LIST = "os_compute_api:os-availability-zone:list"
AZ_DETAIL = "os_compute_api:os-availability-zone:detail"
LIMITS = "os_compute_api:limits"
LIMITS_OTHER_PROJECT = "os_compute_api:limits:other_project"
QUOTAS_SHOW = "os_compute_api:os-quota-sets:show"
QUOTAS_UPDATE = "os_compute_api:os-quota-sets:update"
QUOTAS_DELETE = "os_compute_api:os-quota-sets:delete"
QUOTAS_DEFAULTS = "os_compute_api:os-quota-sets:defaults"
QUOTAS_DETAIL = "os_compute_api:os-quota-sets:detail"

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
    policy.RuleDefault(SERVERS_HOST_STATUS, ADMIN, "See the status of a server's host."),
    policy.RuleDefault(FLAVOR_EXTRA_SPECS_INDEX, ANYONE,
                       "See flavor extra specs (in servers' embedded flavors)."),
    policy.RuleDefault(KEYPAIRS_INDEX, ADMIN_OR_USER, "List a user's key pairs."),
    policy.RuleDefault(KEYPAIRS_SHOW, ADMIN_OR_USER, "Show a user's key pair."),
    policy.RuleDefault(KEYPAIRS_CREATE, ADMIN_OR_USER, "Create a key pair for a user."),
    policy.RuleDefault(KEYPAIRS_DELETE, ADMIN_OR_USER, "Delete a user's key pair."),
    policy.RuleDefault(METADATA_INDEX, ADMIN_OR_OWNER, "List a server's metadata."),
    policy.RuleDefault(METADATA_SHOW, ADMIN_OR_OWNER, "Show a server's metadata item."),
    policy.RuleDefault(METADATA_CREATE, ADMIN_OR_OWNER, "Add metadata to a server."),
    policy.RuleDefault(METADATA_UPDATE, ADMIN_OR_OWNER, "Set a server's metadata item."),
    policy.RuleDefault(METADATA_UPDATE_ALL, ADMIN_OR_OWNER, "Replace a server's metadata."),
    policy.RuleDefault(METADATA_DELETE, ADMIN_OR_OWNER, "Delete a server's metadata item."),
    policy.RuleDefault(TAGS_INDEX, ADMIN_OR_OWNER, "List a server's tags."),
    policy.RuleDefault(TAGS_SHOW, ADMIN_OR_OWNER, "Check a server's tag."),
    policy.RuleDefault(TAGS_UPDATE, ADMIN_OR_OWNER, "Add a tag to a server."),
    policy.RuleDefault(TAGS_UPDATE_ALL, ADMIN_OR_OWNER, "Replace a server's tags."),
    policy.RuleDefault(TAGS_DELETE, ADMIN_OR_OWNER, "Remove a tag from a server."),
    policy.RuleDefault(TAGS_DELETE_ALL, ADMIN_OR_OWNER, "Remove every tag of a server."),
    policy.RuleDefault(ACTIONS_LIST, ADMIN_OR_OWNER, "List a server's actions."),
    policy.RuleDefault(ACTIONS_SHOW, ADMIN_OR_OWNER, "Show a server's action."),
    policy.RuleDefault(ACTIONS_EVENTS, ADMIN, "See the events of an action (before 2.51)."),
    policy.RuleDefault(ACTIONS_EVENTS_DETAILS, ADMIN,
                       "See the traceback and host of action events."),
    policy.RuleDefault(GROUPS_INDEX, ANYONE, "List the server groups of one's project."),
    policy.RuleDefault(GROUPS_INDEX_ALL, ADMIN, "List every project's server groups."),
    policy.RuleDefault(GROUPS_SHOW, ADMIN_OR_OWNER, "Show a server group."),
    policy.RuleDefault(GROUPS_CREATE, ANYONE, "Create a server group."),
    policy.RuleDefault(GROUPS_DELETE, ADMIN_OR_OWNER, "Delete a server group."),
    policy.RuleDefault(SERVICES_LIST, ADMIN, "List the services of every cell."),
    policy.RuleDefault(SERVICES_UPDATE, ADMIN, "Disable, enable or force down a service."),
    policy.RuleDefault(SERVICES_DELETE, ADMIN, "Delete a service."),
    policy.RuleDefault(HYPERVISORS_LIST, ADMIN, "List hypervisors."),
    policy.RuleDefault(HYPERVISORS_DETAIL, ADMIN, "List hypervisors in detail."),
    policy.RuleDefault(HYPERVISORS_SHOW, ADMIN, "Show a hypervisor."),
    policy.RuleDefault(HYPERVISORS_SERVERS, ADMIN, "List the servers of hypervisors."),
    policy.RuleDefault(AZ_LIST, ANYONE, "List availability zones."),
    policy.RuleDefault(AZ_DETAIL, ADMIN, "List availability zones with their hosts."),
    policy.RuleDefault(LIMITS, ANYONE, "Show one's absolute limits."),
    policy.RuleDefault(LIMITS_OTHER_PROJECT, ADMIN, "Show another project's limits."),
    policy.RuleDefault(QUOTAS_SHOW, ADMIN_OR_OWNER, "Show a project's quota."),
    policy.RuleDefault(QUOTAS_UPDATE, ADMIN, "Change a project's quota."),
    policy.RuleDefault(QUOTAS_DELETE, ADMIN, "Reset a project's quota to the defaults."),
    policy.RuleDefault(QUOTAS_DEFAULTS, ANYONE, "Show the default quota."),
    policy.RuleDefault(QUOTAS_DETAIL, ADMIN_OR_OWNER, "Show a project's quota and usage."),
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
