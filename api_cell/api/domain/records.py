"""Servers as the API shows them, whichever tier holds them right now."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from common import hostnames, states
from db.api.instances import Build
from db.cell.models import Instance, InstanceFault

# A field a request left out (None in a request means: clear it).
UNCHANGED: Any = object()


@dataclasses.dataclass(frozen=True)
class Fault:
    """Why a server is in ERROR."""

    code: int
    message: str
    created_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Server:
    """A server read from a cell DB, or from its build request while it is scheduled."""

    uuid: str
    name: str
    project_id: str
    user_id: str
    vm_state: str
    task_state: str | None
    power_state: int
    flavor: dict[str, Any]
    image_ref: str | None
    metadata: dict[str, str]
    availability_zone: str | None
    host: str | None
    node: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    launched_at: datetime.datetime | None = None
    fault: Fault | None = None
    # Lock state (2.9) and the reason given when locking (2.73).
    locked: bool = False
    locked_reason: str | None = None
    # Kept in the cell's row (in the request spec for a build request).
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    config_drive: str = ""
    progress: int = 0
    # The guest hostname the row keeps; None for a row written before it kept one.
    hostname: str | None = None
    # Kept in the request spec (API DB), added by the domain after the read.
    key_name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    # UP/DOWN/MAINTENANCE/UNKNOWN, filled in only for those allowed to see it (2.16).
    host_status: str | None = None
    # The request spec (API DB): what was asked at create time (certificates, hints...).
    spec: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The fixed IPs the server holds, by network name (API DB), as ``addresses`` shows.
    addresses: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)

    @property
    def status(self) -> str:
        return states.server_status(self.vm_state, self.task_state)


@dataclasses.dataclass(frozen=True)
class UnknownServer:
    """A server whose cell did not answer: what the API DB knows of it.

    Lists know its mapping (project, user, creation time); a show also reads its
    request spec, and only then is ``flavor`` set.
    """

    uuid: str
    project_id: str | None = None
    user_id: str | None = None
    created_at: datetime.datetime | None = None
    flavor: dict[str, Any] | None = None
    image_ref: str | None = None
    availability_zone: str | None = None


def spec_columns(build: Build) -> dict[str, Any]:
    """The instance columns a build request's request spec decides (where create and
    updates while building put them): the superconductor writes them into the row it
    places, and lists sort and filter a build request by them."""
    spec = build.spec
    return {"key_name": spec.get("key_name"),
            "display_description": spec.get("description"),
            "hostname": hostnames.of_request(build.instance.get("name") or "", spec),
            "access_ip_v4": spec.get("access_ip_v4"),
            "access_ip_v6": spec.get("access_ip_v6"),
            "config_drive": spec.get("config_drive") or "", "progress": 0}


def from_build(build: Build) -> Server:
    """A server no cell holds yet: BUILD, being scheduled."""
    snapshot, columns = build.instance, spec_columns(build)
    return Server(uuid=build.instance_uuid, name=snapshot["name"], project_id=build.project_id,
                  user_id=build.user_id, vm_state=states.BUILDING,
                  task_state=states.SCHEDULING, power_state=states.NOSTATE,
                  flavor=snapshot["flavor"], image_ref=snapshot.get("image_ref"),
                  metadata=snapshot.get("metadata", {}),
                  availability_zone=snapshot.get("availability_zone"), host=None, node=None,
                  created_at=build.created_at, updated_at=None,
                  tags=tuple(snapshot.get("tags") or ()),
                  access_ip_v4=columns["access_ip_v4"],
                  access_ip_v6=columns["access_ip_v6"],
                  config_drive=columns["config_drive"])


def from_instance(row: Instance, fault: InstanceFault | None = None) -> Server:
    """A server as its cell DB holds it, with its latest fault if it is in ERROR."""
    shown_fault = None
    if fault is not None and row.vm_state == states.ERROR:
        shown_fault = Fault(fault.code, fault.message, fault.created_at)
    return Server(uuid=row.uuid, name=row.display_name, project_id=row.project_id,
                  user_id=row.user_id, vm_state=row.vm_state, task_state=row.task_state,
                  power_state=row.power_state, flavor=row.flavor, image_ref=row.image_ref,
                  metadata=dict(row.metadata_items or {}),
                  availability_zone=row.availability_zone, host=row.host, node=row.node,
                  created_at=row.created_at, updated_at=row.updated_at,
                  launched_at=row.launched_at, fault=shown_fault,
                  locked=bool(row.locked), locked_reason=row.locked_reason,
                  access_ip_v4=row.access_ip_v4, access_ip_v6=row.access_ip_v6,
                  config_drive=row.config_drive or "", progress=row.progress or 0,
                  hostname=row.hostname)
