"""Server actions with more to them than a claim and a task: rebuild, console
output, createImage, and the moves between hosts Cellar does not offer yet.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any

from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain import actions, servers
from api_cell.api.domain.backends import Backends
from api_cell.api.domain.records import UNCHANGED
from common import states
from db import errors as db_errors
from db.api import images as db_images
from db.api import instances as api_instances
from db.api.cells import Cell
from db.api.instances import Mapping
from db.cell import instances as cell_instances
from db.cell import services as cell_services
from db.cell.models import Instance
from protos.compute_client import AgentError, AgentTooOld, AgentUnreachable, GuestNotFound

# vm_states in which a server has no guest whose console could be read.
_NOT_READY = (states.BUILDING, states.DELETED)



@dataclasses.dataclass(frozen=True)
class Rebuild:
    """What a rebuild asks for, already validated by its schema.

    ``key_name`` and ``description`` are ``UNCHANGED`` when the body left them out
    (None clears them), and so is ``trusted_certificates`` (2.63: kept in the request
    spec and shown; Cellar verifies no image signatures, so they have no effect).
    ``user_data`` is checked but not kept (Cellar gives guests no metadata service).
    """

    image_ref: str
    name: str | None = None
    metadata: dict[str, str] | None = None
    description: Any = UNCHANGED
    key_name: Any = UNCHANGED
    user_data: str | None = None
    trusted_certificates: Any = UNCHANGED
    # 2.90: the guest's new hostname, kept in the request spec as create keeps it.
    hostname: Any = UNCHANGED
    # The addresses the server is said to be reached at; None clears one.
    access_ip_v4: Any = UNCHANGED
    access_ip_v6: Any = UNCHANGED


def rebuild(backends: Backends, context: RequestContext, mapping: Mapping,
            wanted: Rebuild) -> None:
    """Claim the server for a rebuild with its new image, name and metadata, and queue
    the task (the conductor replaces the guest). BadRequest for an unknown or
    unfitting image, an unknown key pair, or user data that is not base64.
    """
    if wanted.user_data is not None:
        _check_base64(wanted.user_data)
    image = servers.bootable_image(backends, context, wanted.image_ref)
    key = (servers.keypair_of(backends, context, wanted.key_name)
           if wanted.key_name not in (UNCHANGED, None) else None)
    cell = actions.placed_cell(backends, mapping, "rebuild")
    flavor = _instance(backends, cell, mapping.instance_uuid).flavor
    servers.check_fits(flavor.get("ram", 0), flavor.get("disk", 0), image)
    values: dict[str, Any] = {"image_ref": image.uuid}
    if wanted.name is not None:
        values["display_name"] = wanted.name
    if wanted.metadata is not None:
        values["metadata_items"] = dict(wanted.metadata)
    # What both the request spec (which the views read) and the row (which lists
    # filter and sort by) keep, by spec key and column.
    kept = {("description", "display_description"): wanted.description,
            ("key_name", "key_name"): (wanted.key_name if wanted.key_name is UNCHANGED
                                       else key.name if key else None),
            ("hostname", "hostname"): wanted.hostname,
            ("access_ip_v4", "access_ip_v4"): wanted.access_ip_v4,
            ("access_ip_v6", "access_ip_v6"): wanted.access_ip_v6}
    changed = {names: value for names, value in kept.items() if value is not UNCHANGED}
    values.update({column: value for (_key, column), value in changed.items()})
    actions.run(backends, context, mapping, actions.REBUILD, {"image_ref": image.uuid},
                values)
    spec_changes = {key: value for (key, _column), value in changed.items()}
    if wanted.key_name is not UNCHANGED:
        spec_changes["key_data"] = key.public_key if key else None
    if wanted.trusted_certificates is not UNCHANGED:
        spec_changes["trusted_image_certificates"] = wanted.trusted_certificates
    if spec_changes:
        api_instances.update_spec(backends.api_url, mapping.instance_uuid, **spec_changes)


def _instance(backends: Backends, cell: Cell, uuid: str) -> Instance:
    try:
        return backends.in_cell(cell, cell_instances.get, uuid)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {uuid} could not be found.") from error


def _check_base64(text: str) -> None:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise errors.BadRequest("User data needs to be valid base 64.") from error


def console_output(backends: Backends, mapping: Mapping, length: int | None) -> str:
    """The last ``length`` lines of the server's console log (all if None), asked of
    its host's agent at once. Conflict while the server has no guest to read.
    """
    uuid = mapping.instance_uuid
    cell = actions.placed_cell(backends, mapping, "get_console_output")
    instance = _instance(backends, cell, uuid)
    if (instance.vm_state in _NOT_READY or instance.task_state == states.DELETING
            or not instance.host):
        raise errors.Conflict(f"Instance {uuid} is not ready")
    if length == 0:
        return ""
    try:
        compute = backends.in_cell(cell, cell_services.get_compute, instance.host)
    except db_errors.NotFound as error:
        raise errors.Conflict(f"Instance {uuid} is not ready") from error
    try:
        return backends.agents.console_output(compute, uuid, length)
    except GuestNotFound as error:
        raise errors.Conflict(f"Instance {uuid} is not ready") from error
    except AgentTooOld as error:
        raise errors.Conflict("Unable to get console log: the agent of the server's "
                              "host is too old") from error
    except AgentUnreachable as error:
        raise errors.ServiceUnavailable(
            f"The host of instance {uuid} did not answer; try again later.") from error
    except AgentError as error:
        raise errors.Conflict(f"Unable to get console log: {error}") from error


def create_image(backends: Backends, context: RequestContext, mapping: Mapping, name: str,
                 metadata: dict[str, str]) -> str:
    """Snapshot the server: register an active image that records where it came from
    (``instance_uuid``, ``base_image_ref``); its uuid.

    Cellar's image registry holds records, not disk contents, so the snapshot is
    ready at once; the server's state is not touched.
    """
    uuid = mapping.instance_uuid
    cell = actions.placed_cell(backends, mapping, "createImage")
    instance = _instance(backends, cell, uuid)
    if instance.vm_state not in SNAPSHOT_VM_STATES or instance.task_state is not None:
        attribute, value = (("task_state", instance.task_state) if instance.task_state
                            else ("vm_state", instance.vm_state))
        raise errors.Conflict(f"Cannot 'createImage' instance {uuid} while it is in "
                              f"{attribute} {value}")
    base = _base_image(backends, instance.image_ref)
    properties = {**(base.properties if base else {}), **metadata,
                  "instance_uuid": uuid, "base_image_ref": instance.image_ref or "",
                  "image_type": "snapshot"}
    image = db_images.create(backends.api_url, name,
                             min_disk=max(base.min_disk if base else 0,
                                          int(instance.flavor.get("disk") or 0)),
                             min_ram=base.min_ram if base else 0, properties=properties)
    backends.write_in_cell(cell, cell_instances.start_action, uuid, "createImage",
                           context.request_id, context.user_id, context.project_id)
    return image.uuid


# Nova snapshots servers in these vm_states (and no task in flight).
SNAPSHOT_VM_STATES = (states.ACTIVE, states.STOPPED, states.VM_PAUSED, states.VM_SUSPENDED)


def _base_image(backends: Backends, image_ref: str | None) -> db_images.ImageRecord | None:
    """The image the server was built from, if it is still registered."""
    if not image_ref:
        return None
    try:
        return db_images.get(backends.api_url, image_ref)
    except db_errors.NotFound:
        return None


def move_refusal(backends: Backends, mapping: Mapping, action: str) -> errors.Conflict:
    """The answer to a move between hosts (resize, migrations, evacuate, shelve), which
    Cellar does not offer yet. A server still scheduled or in cell0 gets the usual
    state conflict instead (raised here)."""
    actions.placed_cell(backends, mapping, action)
    return errors.Conflict(f"Cannot '{action}' instance {mapping.instance_uuid}: moving "
                           "servers between hosts is not available yet in this cloud.")
