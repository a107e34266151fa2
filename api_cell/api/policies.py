"""Authorization rules of the compute API, with their defaults in code (oslo.policy).

An operator overrides any of them in the policy file named by ``[oslo_policy]
policy_file``. Ownership is checked before policy: a project never learns that
another project's server exists (404), so these rules decide what an owner or an
administrator may do. As upstream, the Keystone roles decide: ``admin`` acts on
everything, a project's ``member`` reads and changes its resources, its ``reader``
only reads them (noauth2 callers are members, user ``admin`` an administrator).
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_policy import policy

from api_cell.api import errors
from api_cell.api.context import RequestContext

ADMIN = "rule:context_is_admin"
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
# The legacy name: the owner who may change things is a member of the project.
ADMIN_OR_OWNER = PROJECT_MEMBER_OR_ADMIN
ANYONE = "@"
ADMIN_OR_USER = "rule:context_is_admin or user_id:%(user_id)s"

BASE_RULES = [
    policy.RuleDefault("context_is_admin", "role:admin", "Who is an administrator."),
    policy.RuleDefault("project_member_api", "role:member and project_id:%(project_id)s",
                       "A member of the project the target belongs to."),
    policy.RuleDefault("project_reader_api", "role:reader and project_id:%(project_id)s",
                       "A reader of the project the target belongs to."),
    policy.RuleDefault("project_member_or_admin",
                       "rule:project_member_api or rule:context_is_admin",
                       "Default rule of the APIs that change a project's resources."),
    policy.RuleDefault("project_reader_or_admin",
                       "rule:project_reader_api or rule:context_is_admin",
                       "Default rule of the APIs that read a project's resources."),
]

FLAVOR_CREATE = "os_compute_api:os-flavor-manage:create"
FLAVOR_DELETE = "os_compute_api:os-flavor-manage:delete"
IMAGE_CREATE = "os_compute_api:images:create"
IMAGE_DELETE = "os_compute_api:images:delete"
SERVERS_INDEX = "os_compute_api:servers:index"
SERVERS_ALL_TENANTS = "os_compute_api:servers:index:get_all_tenants"
SERVERS_SHOW = "os_compute_api:servers:show"
SERVERS_SHOW_HOST = "os_compute_api:os-extended-server-attributes"
SERVERS_CREATE = "os_compute_api:servers:create"
SERVERS_CREATE_DESTINATION = "compute:servers:create:requested_destination"
SERVERS_UPDATE = "os_compute_api:servers:update"
SERVERS_TOPOLOGY = "compute:server:topology:index"
SERVERS_TOPOLOGY_HOST = "compute:server:topology:host:index"
FLAVOR_UPDATE = "os_compute_api:os-flavor-manage:update"
MIGRATIONS_INDEX = "os_compute_api:os-migrations:index"
FLAVOR_ACCESS = "os_compute_api:os-flavor-access"
FLAVOR_ACCESS_ADD = "os_compute_api:os-flavor-access:add_tenant_access"
FLAVOR_ACCESS_REMOVE = "os_compute_api:os-flavor-access:remove_tenant_access"
FLAVOR_EXTRA_SPECS_SHOW = "os_compute_api:os-flavor-extra-specs:show"
FLAVOR_EXTRA_SPECS_CREATE = "os_compute_api:os-flavor-extra-specs:create"
FLAVOR_EXTRA_SPECS_UPDATE = "os_compute_api:os-flavor-extra-specs:update"
FLAVOR_EXTRA_SPECS_DELETE = "os_compute_api:os-flavor-extra-specs:delete"
SERVERS_DELETE = "os_compute_api:servers:delete"
SERVERS_START = "os_compute_api:servers:start"
SERVERS_STOP = "os_compute_api:servers:stop"
SERVERS_REBOOT = "os_compute_api:servers:reboot"
SERVERS_HOST_STATUS = "os_compute_api:servers:show:host_status"
SERVERS_PAUSE = "os_compute_api:os-pause-server:pause"
SERVERS_UNPAUSE = "os_compute_api:os-pause-server:unpause"
SERVERS_SUSPEND = "os_compute_api:os-suspend-server:suspend"
SERVERS_RESUME = "os_compute_api:os-suspend-server:resume"
SERVERS_LOCK = "os_compute_api:os-lock-server:lock"
SERVERS_UNLOCK = "os_compute_api:os-lock-server:unlock"
SERVERS_UNLOCK_OVERRIDE = "os_compute_api:os-lock-server:unlock:unlock_override"
SERVERS_REBUILD = "os_compute_api:servers:rebuild"
SERVERS_REBUILD_TRUSTED_CERTS = "os_compute_api:servers:rebuild:trusted_certs"
SERVERS_RESET_STATE = "os_compute_api:os-admin-actions:reset_state"
SERVERS_CONSOLE_OUTPUT = "os_compute_api:os-console-output"
SERVERS_CREATE_IMAGE = "os_compute_api:servers:create_image"
SERVERS_RESIZE = "os_compute_api:servers:resize"
SERVERS_CONFIRM_RESIZE = "os_compute_api:servers:confirm_resize"
SERVERS_REVERT_RESIZE = "os_compute_api:servers:revert_resize"
SERVERS_MIGRATE = "os_compute_api:os-migrate-server:migrate"
SERVERS_MIGRATE_LIVE = "os_compute_api:os-migrate-server:migrate_live"
SERVERS_EVACUATE = "os_compute_api:os-evacuate"
SERVERS_SHELVE = "os_compute_api:os-shelve:shelve"
SERVERS_UNSHELVE = "os_compute_api:os-shelve:unshelve"
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
IDENTITY_PROJECT_SHOW = "identity:get_project"
AGGREGATES_INDEX = "os_compute_api:os-aggregates:index"
AGGREGATES_CREATE = "os_compute_api:os-aggregates:create"
AGGREGATES_SHOW = "os_compute_api:os-aggregates:show"
AGGREGATES_UPDATE = "os_compute_api:os-aggregates:update"
AGGREGATES_DELETE = "os_compute_api:os-aggregates:delete"
AGGREGATES_ADD_HOST = "os_compute_api:os-aggregates:add_host"
AGGREGATES_REMOVE_HOST = "os_compute_api:os-aggregates:remove_host"
AGGREGATES_SET_METADATA = "os_compute_api:os-aggregates:set_metadata"
AGGREGATES_IMAGES = "compute:aggregates:images"
SERVERS_CREATE_FORCED_HOST = "os_compute_api:servers:create:forced_host"
IDENTITY_PROJECTS_LIST = "identity:list_projects"

RULES = [
    *BASE_RULES,
    policy.RuleDefault(FLAVOR_CREATE, ADMIN, "Create a flavor."),
    policy.RuleDefault(FLAVOR_DELETE, ADMIN, "Delete a flavor."),
    policy.RuleDefault(IMAGE_CREATE, ADMIN, "Register an image."),
    policy.RuleDefault(IMAGE_DELETE, ADMIN, "Delete an image."),
    policy.RuleDefault(SERVERS_INDEX, PROJECT_READER_OR_ADMIN,
                       "List the servers of one's project."),
    policy.RuleDefault(SERVERS_ALL_TENANTS, ADMIN, "List the servers of every project."),
    policy.RuleDefault(SERVERS_SHOW, PROJECT_READER_OR_ADMIN, "Show a server."),
    policy.RuleDefault(SERVERS_SHOW_HOST, ADMIN, "See the host a server runs on."),
    policy.RuleDefault(SERVERS_CREATE, PROJECT_MEMBER_OR_ADMIN, "Create a server."),
    policy.RuleDefault(SERVERS_UPDATE, ADMIN_OR_OWNER,
                       "Rename a server or change its description."),
    policy.RuleDefault(SERVERS_CREATE_DESTINATION, ADMIN,
                       "Name the host or hypervisor a new server goes to (2.74)."),
    policy.RuleDefault(SERVERS_TOPOLOGY, ADMIN_OR_OWNER,
                       "Show a server's NUMA topology (2.78)."),
    policy.RuleDefault(SERVERS_TOPOLOGY_HOST, ADMIN,
                       "See the host NUMA cells of a server's topology (2.78)."),
    policy.RuleDefault(FLAVOR_UPDATE, ADMIN, "Change a flavor's description (2.55)."),
    policy.RuleDefault(MIGRATIONS_INDEX, ADMIN, "List the migrations of every cell."),
    policy.RuleDefault(FLAVOR_ACCESS, ADMIN, "List the projects with access to a flavor."),
    policy.RuleDefault(FLAVOR_ACCESS_ADD, ADMIN, "Give a project access to a flavor."),
    policy.RuleDefault(FLAVOR_ACCESS_REMOVE, ADMIN,
                       "Take a project's access to a flavor away."),
    policy.RuleDefault(FLAVOR_EXTRA_SPECS_SHOW, ANYONE, "Show one flavor extra spec."),
    policy.RuleDefault(FLAVOR_EXTRA_SPECS_CREATE, ADMIN, "Add flavor extra specs."),
    policy.RuleDefault(FLAVOR_EXTRA_SPECS_UPDATE, ADMIN, "Change a flavor extra spec."),
    policy.RuleDefault(FLAVOR_EXTRA_SPECS_DELETE, ADMIN, "Delete a flavor extra spec."),
    policy.RuleDefault(SERVERS_DELETE, ADMIN_OR_OWNER, "Delete a server."),
    policy.RuleDefault(SERVERS_START, ADMIN_OR_OWNER, "Start a server."),
    policy.RuleDefault(SERVERS_STOP, ADMIN_OR_OWNER, "Stop a server."),
    policy.RuleDefault(SERVERS_REBOOT, ADMIN_OR_OWNER, "Reboot a server."),
    policy.RuleDefault(SERVERS_HOST_STATUS, ADMIN, "See the status of a server's host."),
    policy.RuleDefault(SERVERS_PAUSE, ADMIN_OR_OWNER, "Pause a server."),
    policy.RuleDefault(SERVERS_UNPAUSE, ADMIN_OR_OWNER, "Unpause a server."),
    policy.RuleDefault(SERVERS_SUSPEND, ADMIN_OR_OWNER, "Suspend a server."),
    policy.RuleDefault(SERVERS_RESUME, ADMIN_OR_OWNER, "Resume a suspended server."),
    policy.RuleDefault(SERVERS_LOCK, ADMIN_OR_OWNER, "Lock a server."),
    policy.RuleDefault(SERVERS_UNLOCK, ADMIN_OR_OWNER, "Unlock a server."),
    policy.RuleDefault(SERVERS_UNLOCK_OVERRIDE, ADMIN,
                       "Unlock a server someone else (the owner or an admin) locked."),
    policy.RuleDefault(SERVERS_REBUILD, ADMIN_OR_OWNER, "Rebuild a server."),
    policy.RuleDefault(SERVERS_REBUILD_TRUSTED_CERTS, ADMIN_OR_OWNER,
                       "Rebuild a server with trusted image certificates (2.63)."),
    policy.RuleDefault(SERVERS_RESET_STATE, ADMIN, "Reset a server's state."),
    policy.RuleDefault(SERVERS_CONSOLE_OUTPUT, ADMIN_OR_OWNER,
                       "Show a server's console output."),
    policy.RuleDefault(SERVERS_CREATE_IMAGE, ADMIN_OR_OWNER,
                       "Create an image (snapshot) of a server."),
    policy.RuleDefault(SERVERS_RESIZE, ADMIN_OR_OWNER, "Resize a server."),
    policy.RuleDefault(SERVERS_CONFIRM_RESIZE, ADMIN_OR_OWNER, "Confirm a resize."),
    policy.RuleDefault(SERVERS_REVERT_RESIZE, ADMIN_OR_OWNER, "Revert a resize."),
    policy.RuleDefault(SERVERS_MIGRATE, ADMIN, "Cold-migrate a server."),
    policy.RuleDefault(SERVERS_MIGRATE_LIVE, ADMIN, "Live-migrate a server."),
    policy.RuleDefault(SERVERS_EVACUATE, ADMIN, "Evacuate a server from a failed host."),
    policy.RuleDefault(SERVERS_SHELVE, ADMIN_OR_OWNER, "Shelve a server."),
    policy.RuleDefault(SERVERS_UNSHELVE, ADMIN_OR_OWNER, "Unshelve a server."),
    policy.RuleDefault(FLAVOR_EXTRA_SPECS_INDEX, PROJECT_READER_OR_ADMIN,
                       "See flavor extra specs (in servers' embedded flavors)."),
    policy.RuleDefault(KEYPAIRS_INDEX, ADMIN_OR_USER, "List a user's key pairs."),
    policy.RuleDefault(KEYPAIRS_SHOW, ADMIN_OR_USER, "Show a user's key pair."),
    policy.RuleDefault(KEYPAIRS_CREATE, ADMIN_OR_USER, "Create a key pair for a user."),
    policy.RuleDefault(KEYPAIRS_DELETE, ADMIN_OR_USER, "Delete a user's key pair."),
    policy.RuleDefault(METADATA_INDEX, PROJECT_READER_OR_ADMIN, "List a server's metadata."),
    policy.RuleDefault(METADATA_SHOW, PROJECT_READER_OR_ADMIN, "Show a server's metadata item."),
    policy.RuleDefault(METADATA_CREATE, ADMIN_OR_OWNER, "Add metadata to a server."),
    policy.RuleDefault(METADATA_UPDATE, ADMIN_OR_OWNER, "Set a server's metadata item."),
    policy.RuleDefault(METADATA_UPDATE_ALL, ADMIN_OR_OWNER, "Replace a server's metadata."),
    policy.RuleDefault(METADATA_DELETE, ADMIN_OR_OWNER, "Delete a server's metadata item."),
    policy.RuleDefault(TAGS_INDEX, PROJECT_READER_OR_ADMIN, "List a server's tags."),
    policy.RuleDefault(TAGS_SHOW, PROJECT_READER_OR_ADMIN, "Check a server's tag."),
    policy.RuleDefault(TAGS_UPDATE, ADMIN_OR_OWNER, "Add a tag to a server."),
    policy.RuleDefault(TAGS_UPDATE_ALL, ADMIN_OR_OWNER, "Replace a server's tags."),
    policy.RuleDefault(TAGS_DELETE, ADMIN_OR_OWNER, "Remove a tag from a server."),
    policy.RuleDefault(TAGS_DELETE_ALL, ADMIN_OR_OWNER, "Remove every tag of a server."),
    policy.RuleDefault(ACTIONS_LIST, PROJECT_READER_OR_ADMIN, "List a server's actions."),
    policy.RuleDefault(ACTIONS_SHOW, PROJECT_READER_OR_ADMIN, "Show a server's action."),
    policy.RuleDefault(ACTIONS_EVENTS, ADMIN, "See the events of an action (before 2.51)."),
    policy.RuleDefault(ACTIONS_EVENTS_DETAILS, ADMIN,
                       "See the traceback and host of action events."),
    policy.RuleDefault(GROUPS_INDEX, PROJECT_READER_OR_ADMIN,
                       "List the server groups of one's project."),
    policy.RuleDefault(GROUPS_INDEX_ALL, ADMIN, "List every project's server groups."),
    policy.RuleDefault(GROUPS_SHOW, PROJECT_READER_OR_ADMIN, "Show a server group."),
    policy.RuleDefault(GROUPS_CREATE, PROJECT_MEMBER_OR_ADMIN, "Create a server group."),
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
    policy.RuleDefault(QUOTAS_SHOW, PROJECT_READER_OR_ADMIN, "Show a project's quota."),
    policy.RuleDefault(QUOTAS_UPDATE, ADMIN, "Change a project's quota."),
    policy.RuleDefault(QUOTAS_DELETE, ADMIN, "Reset a project's quota to the defaults."),
    policy.RuleDefault(QUOTAS_DEFAULTS, ANYONE, "Show the default quota."),
    policy.RuleDefault(QUOTAS_DETAIL, PROJECT_READER_OR_ADMIN, "Show a project's quota and usage."),
    policy.RuleDefault(AGGREGATES_INDEX, ADMIN, "List host aggregates."),
    policy.RuleDefault(AGGREGATES_CREATE, ADMIN, "Create a host aggregate."),
    policy.RuleDefault(AGGREGATES_SHOW, ADMIN, "Show a host aggregate."),
    policy.RuleDefault(AGGREGATES_UPDATE, ADMIN,
                       "Rename a host aggregate or change its availability zone."),
    policy.RuleDefault(AGGREGATES_DELETE, ADMIN, "Delete a host aggregate."),
    policy.RuleDefault(AGGREGATES_ADD_HOST, ADMIN, "Add a host to an aggregate."),
    policy.RuleDefault(AGGREGATES_REMOVE_HOST, ADMIN, "Remove a host from an aggregate."),
    policy.RuleDefault(AGGREGATES_SET_METADATA, ADMIN, "Set a host aggregate's metadata."),
    policy.RuleDefault(AGGREGATES_IMAGES, ADMIN,
                       "Ask the hosts of an aggregate to cache images (2.81)."),
    policy.RuleDefault(SERVERS_CREATE_FORCED_HOST, ADMIN,
                       "Force a new server onto a host with availability_zone "
                       "zone:host[:node]."),
    policy.RuleDefault(IDENTITY_PROJECT_SHOW, PROJECT_READER_OR_ADMIN,
                       "Show a project through the noauth2 identity stub."),
    policy.RuleDefault(IDENTITY_PROJECTS_LIST, ADMIN,
                       "List projects through the noauth2 identity stub."),
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
