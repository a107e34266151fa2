"""Creating, reading and deleting servers across the API DB and the cells."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import math
import re
import secrets
import string
import uuid as uuidlib
from typing import Any

from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain import quotas, records
from api_cell.api.domain.backends import Backends, enqueue
from common import states
from db import errors as db_errors
from db.api import flavors as db_flavors
from db.api import images as db_images
from db.api import instances as api_instances
from db.api import keypairs as db_keypairs
from db.api import server_groups as db_groups
from db.api.cells import Cell
from db.api.instances import Mapping
from db.cell import instances as cell_instances
from db.cell import tags as cell_tags

LOG = logging.getLogger(__name__)

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
_PASSWORD_ALPHABET = string.ascii_letters + string.digits


@dataclasses.dataclass(frozen=True)
class NewServer:
    """What a tenant asked for in POST /servers, already validated by its schema."""

    name: str
    flavor_ref: str
    image_ref: str
    metadata: dict[str, str]
    availability_zone: str | None = None
    key_name: str | None = None
    group_uuid: str | None = None
    description: str | None = None


@dataclasses.dataclass(frozen=True)
class Accepted:
    """A server accepted for building."""

    uuid: str
    admin_pass: str


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of a server list, in the order of the API DB's index."""

    servers: list[records.Server | records.UnknownServer]
    unavailable_cells: list[str]
    next_marker: str | None


def _last_segment(ref: str) -> str:
    """The id a reference names: itself, or the last path segment of a link."""
    return ref.rstrip("/").rsplit("/", 1)[-1]


def _flavor(backends: Backends, flavor_ref: str) -> db_flavors.FlavorRecord:
    flavor_id = _last_segment(str(flavor_ref))
    try:
        return db_flavors.get(backends.api_url, flavor_id)
    except db_errors.NotFound as error:
        raise errors.BadRequest(f"Flavor {flavor_id} could not be found.") from error


def _image(backends: Backends, image_ref: str) -> db_images.ImageRecord:
    image_id = _last_segment(image_ref)
    if not _UUID_RE.match(image_id):
        raise errors.BadRequest("Invalid imageRef provided.")
    try:
        image = db_images.get(backends.api_url, image_id)
    except db_errors.NotFound as error:
        raise errors.BadRequest(f"Image {image_id} could not be found.") from error
    if image.status != db_images.ACTIVE:
        raise errors.BadRequest(f"Image {image_id} is not active.")
    return image


def _check_fits(flavor: db_flavors.FlavorRecord, image: db_images.ImageRecord) -> None:
    if flavor.memory_mb < image.min_ram:
        raise errors.BadRequest("Flavor's memory is too small for requested image.")
    # A flavor with no root disk boots from a volume, where the image's minimum applies.
    if flavor.root_gb and flavor.root_gb < image.min_disk:
        raise errors.BadRequest("Flavor's disk is too small for requested image.")


def flavor_snapshot(flavor: db_flavors.FlavorRecord) -> dict[str, Any]:
    """The copy of a flavor an instance keeps, so deleting the flavor changes nothing."""
    return {"id": flavor.flavorid, "name": flavor.name, "vcpus": flavor.vcpus,
            "ram": flavor.memory_mb, "disk": flavor.root_gb,
            "ephemeral": flavor.ephemeral_gb, "swap": flavor.swap,
            "extra_specs": dict(flavor.extra_specs)}


def resources(flavor: db_flavors.FlavorRecord) -> dict[str, int]:
    """What placement must find free for one server of ``flavor``.

    Swap is in MB and lives on the local disk, so it counts towards DISK_GB, rounded
    up. Zero amounts are left out: placement refuses to be asked for nothing.
    """
    wanted = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb,
              "DISK_GB": flavor.root_gb + flavor.ephemeral_gb + math.ceil(flavor.swap / 1024)}
    return {rc: amount for rc, amount in wanted.items() if amount > 0}


def create(backends: Backends, context: RequestContext, wanted: NewServer) -> Accepted:
    """Record the build request and hand it to the superconductors (boot flow step 1)."""
    flavor = _flavor(backends, wanted.flavor_ref)
    image = _image(backends, wanted.image_ref)
    _check_fits(flavor, image)
    key = _keypair(backends, context, wanted.key_name)
    group = _group(backends, context, wanted.group_uuid)
    quotas.check_server(backends, context.project_id, flavor.vcpus, flavor.memory_mb,
                        len(wanted.metadata))
    instance_uuid = str(uuidlib.uuid4())
    snapshot = {"name": wanted.name, "flavor": flavor_snapshot(flavor),
                "image_ref": image.uuid, "metadata": dict(wanted.metadata),
                "availability_zone": wanted.availability_zone,
                "key_name": key.name if key else None, "description": wanted.description}
    spec = {"instance_uuid": instance_uuid, "project_id": context.project_id,
            "user_id": context.user_id, "flavor": flavor_snapshot(flavor),
            "image": {"id": image.uuid, "name": image.name, "min_disk": image.min_disk,
                      "min_ram": image.min_ram, "properties": image.properties},
            "resources": resources(flavor), "availability_zone": wanted.availability_zone,
            "num_instances": 1}
    if wanted.description is not None:
        spec["description"] = wanted.description
    if key is not None:
        spec["key_name"] = key.name
        spec["key_data"] = key.public_key
    if group is not None:
        spec["group_uuid"] = group.uuid
        spec["group_policy"] = group.policy
    api_instances.create_build(backends.api_url, instance_uuid, context.project_id,
                               context.user_id, snapshot, spec)
    if group is not None:
        _join(backends, context, group.uuid, instance_uuid)
    try:
        enqueue(backends.build_stream(), "build", {"instance_uuid": instance_uuid},
                context.request_id)
    except errors.ServiceUnavailable:
        # Nobody would ever build it: take the request back rather than leave a
        # server stuck in BUILD.
        api_instances.cancel_build(backends.api_url, instance_uuid)
        raise
    return Accepted(instance_uuid, "".join(secrets.choice(_PASSWORD_ALPHABET)
                                           for _ in range(12)))


def _keypair(backends: Backends, context: RequestContext, key_name: str | None):
    if key_name is None:
        return None
    try:
        return db_keypairs.get(backends.api_url, context.user_id, key_name)
    except db_errors.NotFound as error:
        raise errors.BadRequest("Invalid key_name provided.") from error


def _group(backends: Backends, context: RequestContext, group_uuid: str | None):
    if group_uuid is None:
        return None
    try:
        group = db_groups.get(backends.api_url, group_uuid)
    except db_errors.NotFound:
        group = None
    if group is None or (group.project_id != context.project_id and not context.is_admin):
        raise errors.BadRequest(f"Invalid server group {group_uuid}: it could not be found.")
    return group


def _join(backends: Backends, context: RequestContext, group_uuid: str,
          instance_uuid: str) -> None:
    """Put the new server in its group; undo the build if the group is full or gone."""
    limit = quotas.limit_of(backends, context.project_id, "server_group_members")
    try:
        db_groups.add_member(backends.api_url, group_uuid, instance_uuid, limit)
    except db_errors.Conflict as error:
        api_instances.cancel_build(backends.api_url, instance_uuid)
        raise errors.Forbidden("Quota exceeded, too many servers in group") from error
    except db_errors.NotFound as error:
        api_instances.cancel_build(backends.api_url, instance_uuid)
        raise errors.BadRequest(f"Invalid server group {group_uuid}: it could not be "
                                "found.") from error


def with_extras(backends: Backends, found: list) -> list:
    """The servers with what the API DB keeps of them (key name) filled in."""
    known = [s for s in found if isinstance(s, records.Server)]
    specs = api_instances.specs_of(backends.api_url, [s.uuid for s in known])
    return [dataclasses.replace(s, key_name=specs.get(s.uuid, {}).get("key_name"),
                                description=specs.get(s.uuid, {}).get("description"))
            if isinstance(s, records.Server) else s for s in found]


def find(backends: Backends, context: RequestContext, instance_uuid: str) -> Mapping:
    """The mapping of a server the caller may see; NotFound for another project's."""
    mapping = _current(backends, instance_uuid)
    if mapping is None or not _visible(context, mapping):
        raise errors.NotFound(f"Instance {instance_uuid} could not be found.")
    return mapping


def _visible(context: RequestContext, mapping: Mapping) -> bool:
    return context.is_admin or mapping.project_id == context.project_id


def cell_of(backends: Backends, mapping: Mapping) -> Cell:
    """The cell that holds a placed server; NotFound if its cell mapping is gone."""
    try:
        return backends.cells.by_id(mapping.cell_id)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.") \
            from error


def refreshed(backends: Backends, mapping: Mapping) -> Mapping:
    """The mapping re-read: a build request vanished, so the server was just placed."""
    current = _current(backends, mapping.instance_uuid)
    if current is None:
        raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")
    return current


def show(backends: Backends, mapping: Mapping) -> records.Server:
    """The server of ``mapping``, from its build request or from its cell."""
    if mapping.cell_id is None:
        build = api_instances.get_build(backends.api_url, mapping.instance_uuid)
        if build is not None:
            return dataclasses.replace(records.from_build(build),
                                       key_name=build.spec.get("key_name"),
                                       description=build.spec.get("description"))
        mapping = refreshed(backends, mapping)
        if mapping.cell_id is None:
            raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")
    cell = cell_of(backends, mapping)
    found = backends.in_cell(cell, _read_cell, [mapping.instance_uuid])
    if mapping.instance_uuid not in found:
        raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")
    return with_extras(backends, [found[mapping.instance_uuid]])[0]


def _read_cell(cell_url: str, uuids: list[str]) -> dict[str, records.Server]:
    """The live servers among ``uuids`` in one cell, with faults for those in ERROR."""
    rows = cell_instances.get_many(cell_url, uuids)
    failed = [uuid for uuid, row in rows.items() if row.vm_state == states.ERROR]
    faults = cell_instances.latest_faults(cell_url, failed)
    tags = cell_tags.get_many(cell_url, list(rows))
    return {uuid: dataclasses.replace(records.from_instance(row, faults.get(uuid)),
                                      tags=tuple(tags.get(uuid, ())))
            for uuid, row in rows.items()}


def list_page(backends: Backends, context: RequestContext, limit: int | None,
              marker: str | None, all_projects: bool) -> Page:
    """A page of servers: chosen in the API DB, then read from each cell in parallel."""
    limit = backends.max_limit if limit is None else min(limit, backends.max_limit)
    project_id = None if all_projects else context.project_id
    if marker is not None:
        _check_marker(backends, context, marker, project_id)
    mappings = api_instances.page(backends.api_url, limit, project_id, marker)
    found, unavailable = _gather(backends, mappings)
    servers = with_extras(backends, [found[m.instance_uuid] for m in mappings
                                     if m.instance_uuid in found])
    next_marker = mappings[-1].instance_uuid if mappings and len(mappings) == limit else None
    return Page(servers, unavailable, next_marker)


def _check_marker(backends: Backends, context: RequestContext, marker: str,
                  project_id: str | None) -> None:
    anchor = _current(backends, marker)
    if anchor is None or (project_id is not None and anchor.project_id != project_id):
        raise errors.BadRequest(f"marker [{marker}] not found")


def _gather(backends: Backends, mappings: list[Mapping]
            ) -> tuple[dict[str, records.Server | records.UnknownServer], list[str]]:
    """Every server of ``mappings`` by uuid, and the names of the cells that failed."""
    building = [m for m in mappings if m.cell_id is None]
    builds = api_instances.get_builds(backends.api_url, [m.instance_uuid for m in building])
    found: dict[str, records.Server | records.UnknownServer] = {
        uuid: records.from_build(build) for uuid, build in builds.items()}
    by_cell: dict[int, list[str]] = {}
    for mapping in mappings:
        if mapping.instance_uuid in found:
            continue
        if mapping.cell_id is None:
            # Placed (or deleted) between the page query and the build request query.
            current = _current(backends, mapping.instance_uuid)
            if current is None or current.cell_id is None:
                continue
            mapping = current
        by_cell.setdefault(mapping.cell_id, []).append(mapping.instance_uuid)
    unavailable = _read_cells(backends, by_cell, found)
    return found, unavailable


def _current(backends: Backends, instance_uuid: str) -> Mapping | None:
    try:
        return api_instances.get_mapping(backends.api_url, instance_uuid)
    except db_errors.NotFound:
        return None


def _read_cells(backends: Backends, by_cell: dict[int, list[str]],
                found: dict[str, records.Server | records.UnknownServer]) -> list[str]:
    """Ask each cell for its servers at once, waiting ``cell_timeout`` for all of them.

    The servers of a cell that fails or is late are added as UnknownServer; the names
    of those cells are returned.
    """
    futures: dict[concurrent.futures.Future, tuple[str, list[str]]] = {}
    unavailable: list[str] = []
    for cell_id, uuids in by_cell.items():
        try:
            cell = backends.cells.by_id(cell_id)
        except db_errors.NotFound:
            continue  # the cell mapping was removed: its servers are gone with it
        future = backends.pool.submit(_read_cell, cell.database_connection, uuids)
        futures[future] = (cell.name, uuids)
    done, _late = concurrent.futures.wait(futures, timeout=backends.cell_timeout)
    for future, (name, uuids) in futures.items():
        if future in done and future.exception() is None:
            found.update(future.result())
            continue
        if future in done:
            LOG.warning("cell %s failed a list: %s", name, future.exception())
        else:
            LOG.warning("cell %s did not answer a list within %ss", name,
                        backends.cell_timeout)
        unavailable.append(name)
        found.update({uuid: records.UnknownServer(uuid) for uuid in uuids})
    return sorted(unavailable)
