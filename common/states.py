"""Instance states as the OpenStack Compute API names them, shared by every tier."""

# vm_state: what the instance is.
BUILDING = "building"
ACTIVE = "active"
STOPPED = "stopped"
# VM_ prefixed: PAUSED and SUSPENDED already name power states below.
VM_PAUSED = "paused"
VM_SUSPENDED = "suspended"
ERROR = "error"
DELETED = "deleted"

# task_state: what is being done to it (None when nothing is).
SCHEDULING = "scheduling"
SPAWNING = "spawning"
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"
REBOOTING = "rebooting"
REBOOTING_HARD = "rebooting_hard"
DELETING = "deleting"
PAUSING = "pausing"
UNPAUSING = "unpausing"
SUSPENDING = "suspending"
RESUMING = "resuming"
REBUILDING = "rebuilding"
# A move between cells: the target copy is ``migrating`` until its guest runs, then
# ``migrated`` until the mapping flips and the source is forgotten.
MIGRATING = "migrating"
MIGRATED = "migrated"

# power_state: what the hypervisor reports.
NOSTATE = 0
RUNNING = 1
PAUSED = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED = 7

# The API's server status for a vm_state (task_state refines some of them).
STATUS_BY_VM_STATE = {
    BUILDING: "BUILD",
    ACTIVE: "ACTIVE",
    STOPPED: "SHUTOFF",
    VM_PAUSED: "PAUSED",
    VM_SUSPENDED: "SUSPENDED",
    ERROR: "ERROR",
    DELETED: "DELETED",
}
STATUS_BY_TASK_STATE = {
    REBOOTING: "REBOOT",
    REBOOTING_HARD: "HARD_REBOOT",
    REBUILDING: "REBUILD",
}


def server_status(vm_state: str, task_state: str | None) -> str:
    """The ``status`` the compute API shows for an instance."""
    if vm_state == ACTIVE and task_state in STATUS_BY_TASK_STATE:
        return STATUS_BY_TASK_STATE[task_state]
    # A rebuild shows from every state it may start in, as Nova shows it.
    if task_state == REBUILDING and vm_state in (STOPPED, ERROR):
        return STATUS_BY_TASK_STATE[REBUILDING]
    return STATUS_BY_VM_STATE.get(vm_state, "UNKNOWN")
