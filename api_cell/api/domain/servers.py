"""Creating, reading and deleting servers across the API DB and the cells."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import re
import secrets
import string
import uuid as uuidlib
from typing import Any

import redis

from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain import networks, quotas, records
from api_cell.api.domain.backends import Backends
from common import states, tasks
from db import errors as db_errors
from db.api import flavors as db_flavors
from db.api import images as db_images
from db.api import instances as api_instances
from db.api import keypairs as db_keypairs
from db.api import server_groups as db_groups
from db.api.cells import Cell
from db.api.instances import Mapping
from db.cell import instances as cell_instances

LOG = logging.getLogger(__name__)

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_RESERVATION_ALPHABET = string.ascii_lowercase + string.digits
# A server's config_drive when its create asked for one (Nova's value; "" otherwise).
CONFIG_DRIVE = "True"


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
    # From 2.52: copied into the cell's tags table when the server is placed.
    tags: tuple[str, ...] = ()
    # From 2.63; kept in the request spec and shown, not verified (no image signing).
    trusted_certs: tuple[str, ...] | None = None
    # From 2.74: {"host": ..., "node": ...} the scheduler must choose among.
    destination: dict[str, str] | None = None
    # From 2.90: the guest's hostname instead of one made of the name.
    hostname: str | None = None
    # Every scheduler hint as given (shown from 2.100).
    hints: dict[str, Any] = dataclasses.field(default_factory=dict)
    # "auto", "none" or a list of {"uuid", "fixed_ip"}; None (before 2.37) is "auto".
    networks: Any = None
    # Multiple create: at least min_count servers, as many up to max_count as fit.
    min_count: int = 1
    max_count: int = 1
    # The addresses the server is said to be reached at ("" or None: none), and
    # whether a config drive was asked for: kept in the spec, then in the cell's row.
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    config_drive: bool = False


@dataclasses.dataclass(frozen=True)
class Accepted:
    """The servers accepted for building: the first one's uuid and password, and the
    reservation id all of them share."""

    uuid: str
    admin_pass: str
    reservation_id: str = ""
    uuids: tuple[str, ...] = ()


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


def bootable_image(backends: Backends, context: RequestContext,
                   image_ref: str) -> db_images.ImageRecord:
    """The active image ``image_ref`` names, if the caller may see it; else BadRequest."""
    image_id = _last_segment(image_ref)
    if not _UUID_RE.match(image_id):
        raise errors.BadRequest("Invalid imageRef provided.")
    try:
        image = db_images.get(backends.api_url, image_id)
    except db_errors.NotFound as error:
        raise errors.BadRequest(f"Image {image_id} could not be found.") from error
    if not image.visible_to(context.project_id, context.is_admin):
        # Another project's private image is as absent as a missing one.
        raise errors.BadRequest(f"Image {image_id} could not be found.")
    if image.status != db_images.ACTIVE:
        raise errors.BadRequest(f"Image {image_id} is not active.")
    return image


def check_fits(memory_mb: int, root_gb: int, image: db_images.ImageRecord) -> None:
    """BadRequest unless a flavor of ``memory_mb`` and ``root_gb`` can boot ``image``."""
    if memory_mb < image.min_ram:
        raise errors.BadRequest("Flavor's memory is too small for requested image.")
    # A flavor with no root disk boots from a volume, where the image's minimum applies.
    if root_gb and root_gb < image.min_disk:
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
    image = bootable_image(backends, context, wanted.image_ref)
    check_fits(flavor.memory_mb, flavor.root_gb, image)
    key = keypair_of(backends, context, wanted.key_name)
    group = _group(backends, context, wanted.group_uuid)
    requested_networks = networks.check_requested(
        backends.api_url, backends.network, networks.requested(wanted.networks))
    _check_many(wanted, requested_networks)
    count = _fitting_count(backends, context.project_id, flavor, len(wanted.metadata),
                           wanted.min_count, wanted.max_count)
    snapshot, spec = _requested(context, wanted, flavor, image, key, group,
                                requested_networks)
    reservation_id = "r-" + "".join(secrets.choice(_RESERVATION_ALPHABET)
                                    for _ in range(8))
    builds = [_numbered(snapshot, spec, reservation_id, index, count)
              for index in range(count)]
    uuids = [build.instance_uuid for build in builds]
    api_instances.create_builds(backends.api_url, context.project_id, context.user_id,
                                builds)
    if group is not None:
        _join(backends, context, group.uuid, uuids)
    _enqueue_builds(backends, uuids, context.request_id)
    return Accepted(uuids[0], "".join(secrets.choice(_PASSWORD_ALPHABET)
                                      for _ in range(12)), reservation_id, tuple(uuids))


def _check_many(wanted: NewServer, requested_networks: list[dict[str, str]]) -> None:
    """BadRequest for what a request of several servers cannot ask for: one hostname
    (2.90) or one fixed address for all of them."""
    if wanted.min_count > wanted.max_count:
        raise errors.BadRequest("min_count must be <= max_count")
    if wanted.max_count == 1:
        return
    if wanted.hostname is not None:
        raise errors.BadRequest("Cannot set the hostname when creating more than one "
                                "server: max_count must be 1.")
    if any("fixed_ip" in entry for entry in requested_networks):
        raise errors.BadRequest("max_count cannot be greater than 1 if a fixed_ip is "
                                "specified.")


def _fitting_count(backends: Backends, project_id: str, flavor: db_flavors.FlavorRecord,
                   metadata_items: int, min_count: int, max_count: int) -> int:
    """How many servers of ``flavor`` to build: max_count if the quota holds them, else
    as many as fit, down to min_count; below that the quota's 403 for min_count."""
    quotas.check_server(backends, project_id, flavor.vcpus, flavor.memory_mb,
                        metadata_items, min_count)
    if max_count == min_count:
        return min_count
    limit = quotas.limits(backends, project_id)
    used = quotas.compute_usage(backends, project_id).as_dict()
    fits = max_count
    for resource, each in (("instances", 1), ("cores", flavor.vcpus),
                           ("ram", flavor.memory_mb)):
        allowed = limit.get(resource, -1)
        if allowed >= 0 and each > 0:
            fits = min(fits, (allowed - used.get(resource, 0)) // each)
    # Usage may have moved between the two reads; min_count was checked to fit.
    return max(fits, min_count)


def _requested(context: RequestContext, wanted: NewServer,
               flavor: db_flavors.FlavorRecord, image: db_images.ImageRecord, key, group,
               requested_networks: list[dict[str, str]]
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The build request body and request spec every server of the request shares."""
    snapshot = {"name": wanted.name, "flavor": flavor_snapshot(flavor),
                "image_ref": image.uuid, "metadata": dict(wanted.metadata),
                "availability_zone": wanted.availability_zone,
                "key_name": key.name if key else None, "description": wanted.description,
                "tags": list(dict.fromkeys(wanted.tags))}
    spec = {"project_id": context.project_id,
            "user_id": context.user_id, "flavor": flavor_snapshot(flavor),
            "image": {"id": image.uuid, "name": image.name, "min_disk": image.min_disk,
                      "min_ram": image.min_ram, "properties": image.properties},
            "resources": resources(flavor), "availability_zone": wanted.availability_zone,
            "num_instances": 1}
    if wanted.description is not None:
        spec["description"] = wanted.description
    if wanted.trusted_certs is not None:
        spec["trusted_image_certificates"] = list(wanted.trusted_certs)
    if wanted.destination is not None:
        spec["requested_destination"] = dict(wanted.destination)
    if wanted.hostname is not None:
        spec["hostname"] = wanted.hostname
    if wanted.hints:
        spec["scheduler_hints"] = dict(wanted.hints)
    if wanted.access_ip_v4:
        spec["access_ip_v4"] = wanted.access_ip_v4
    if wanted.access_ip_v6:
        spec["access_ip_v6"] = wanted.access_ip_v6
    spec["config_drive"] = CONFIG_DRIVE if wanted.config_drive else ""
    spec[networks.SPEC_KEY] = requested_networks
    if key is not None:
        spec["key_name"] = key.name
        spec["key_data"] = key.public_key
    if group is not None:
        spec["group_uuid"] = group.uuid
        spec["group_policy"] = group.policy
    return snapshot, spec


def _numbered(snapshot: dict[str, Any], spec: dict[str, Any], reservation_id: str,
              index: int, count: int) -> api_instances.NewBuild:
    """Server ``index`` of ``count``: named "<name>-<index + 1>" when there are several,
    as Nova names them."""
    instance_uuid = str(uuidlib.uuid4())
    name = snapshot["name"] if count == 1 else f"{snapshot['name']}-{index + 1}"
    return api_instances.NewBuild(
        instance_uuid, {**snapshot, "name": name},
        {**spec, "instance_uuid": instance_uuid, "num_instances": count,
         "reservation_id": reservation_id, "launch_index": index})


def _enqueue_builds(backends: Backends, uuids: list[str], request_id: str) -> None:
    """One build task per server, added in one Redis transaction: all of them or none.

    If Redis refuses, nobody would ever build them: the requests are taken back rather
    than left stuck in BUILD.
    """
    stream = backends.build_stream()
    try:
        with stream.client.pipeline(transaction=True) as pipe:
            queued = tasks.TaskStream(pipe, stream.key, stream.group, stream.max_length)
            for instance_uuid in uuids:
                queued.add("build", {"instance_uuid": instance_uuid}, request_id)
            pipe.execute()
    except redis.RedisError as error:
        _take_back(backends, uuids)
        raise errors.ServiceUnavailable("The task queue is unavailable; try again later.") \
            from error


def _take_back(backends: Backends, uuids: list[str]) -> None:
    """Undo a create: its build requests and any group membership."""
    api_instances.cancel_builds(backends.api_url, uuids)
    for instance_uuid in uuids:
        db_groups.remove_member(backends.api_url, instance_uuid)


def keypair_of(backends: Backends, context: RequestContext, key_name: str | None):
    """The caller's key pair ``key_name`` (None for None); BadRequest if it has none."""
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
          uuids: list[str]) -> None:
    """Put the new servers in their group; undo the whole create if the group is full
    or gone."""
    limit = quotas.limit_of(backends, context.project_id, "server_group_members")
    try:
        for instance_uuid in uuids:
            db_groups.add_member(backends.api_url, group_uuid, instance_uuid, limit)
    except db_errors.Conflict as error:
        _take_back(backends, uuids)
        raise errors.Forbidden("Quota exceeded, too many servers in group") from error
    except db_errors.NotFound as error:
        _take_back(backends, uuids)
        raise errors.BadRequest(f"Invalid server group {group_uuid}: it could not be "
                                "found.") from error


def with_extras(backends: Backends, found: list) -> list:
    """The servers with what the API DB keeps of them (key name, addresses) filled in,
    in one query per kind for the whole page."""
    known = [s for s in found if isinstance(s, records.Server)]
    specs = api_instances.specs_of(backends.api_url, [s.uuid for s in known])
    addresses = networks.addresses_of(backends.api_url, backends.network,
                                      [s.uuid for s in known])
    return [dataclasses.replace(s, key_name=specs.get(s.uuid, {}).get("key_name"),
                                description=specs.get(s.uuid, {}).get("description"),
                                spec=specs.get(s.uuid, {}),
                                addresses=addresses.get(s.uuid, {}))
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


def show(backends: Backends, mapping: Mapping, minimal_if_down: bool = False
         ) -> records.Server | records.UnknownServer:
    """The server of ``mapping``, from its build request or from its cell.

    If its cell is down: CellUnavailable, or with ``minimal_if_down`` (2.69) what the
    API DB knows of it.
    """
    if mapping.cell_id is None:
        build = api_instances.get_build(backends.api_url, mapping.instance_uuid)
        if build is not None:
            return dataclasses.replace(records.from_build(build),
                                       key_name=build.spec.get("key_name"),
                                       description=build.spec.get("description"),
                                       spec=build.spec)
        mapping = refreshed(backends, mapping)
        if mapping.cell_id is None:
            raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")
    cell = cell_of(backends, mapping)
    try:
        found = backends.in_cell(cell, _read_cell, [mapping.instance_uuid])
    except errors.CellUnavailable:
        if not minimal_if_down:
            raise
        return _unknown_with_spec(backends, mapping)
    if mapping.instance_uuid not in found:
        raise errors.NotFound(f"Instance {mapping.instance_uuid} could not be found.")
    return with_extras(backends, [found[mapping.instance_uuid]])[0]


def _unknown(mapping: Mapping) -> records.UnknownServer:
    return records.UnknownServer(mapping.instance_uuid, project_id=mapping.project_id,
                                 user_id=mapping.user_id, created_at=mapping.created_at)


def _unknown_with_spec(backends: Backends, mapping: Mapping) -> records.UnknownServer:
    """A server of a down cell as a show reports it: its mapping and request spec."""
    spec = api_instances.specs_of(backends.api_url, [mapping.instance_uuid]).get(
        mapping.instance_uuid, {})
    return dataclasses.replace(_unknown(mapping), flavor=spec.get("flavor") or {},
                               image_ref=(spec.get("image") or {}).get("id"),
                               availability_zone=spec.get("availability_zone"))


def _read_cell(cell_url: str, uuids: list[str]) -> dict[str, records.Server]:
    """The live servers among ``uuids`` in one cell, with faults for those in ERROR."""
    shown = cell_instances.read_shown(cell_url, uuids, states.ERROR)
    return {uuid: dataclasses.replace(records.from_instance(row, shown.faults.get(uuid)),
                                      tags=tuple(shown.tags[uuid]))
            for uuid, row in shown.rows.items()}


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
    by_cell: dict[int, list[Mapping]] = {}
    for mapping in mappings:
        if mapping.instance_uuid in found:
            continue
        if mapping.cell_id is None:
            # Placed (or deleted) between the page query and the build request query.
            current = _current(backends, mapping.instance_uuid)
            if current is None or current.cell_id is None:
                continue
            mapping = current
        by_cell.setdefault(mapping.cell_id, []).append(mapping)
    unavailable = _read_cells(backends, by_cell, found)
    return found, unavailable


def _current(backends: Backends, instance_uuid: str) -> Mapping | None:
    try:
        return api_instances.get_mapping(backends.api_url, instance_uuid)
    except db_errors.NotFound:
        return None


def _read_cells(backends: Backends, by_cell: dict[int, list[Mapping]],
                found: dict[str, records.Server | records.UnknownServer]) -> list[str]:
    """Ask each cell for its servers at once, waiting ``cell_timeout`` for all of them.

    The servers of a cell that is down, fails or is late are added as UnknownServer;
    the names of those cells are returned.
    """
    cells: dict[Cell, list[Mapping]] = {}
    for cell_id, placed in by_cell.items():
        try:
            cells[backends.cells.by_id(cell_id)] = placed
        except db_errors.NotFound:
            continue  # the cell mapping was removed: its servers are gone with it
    answers, missing = backends.read_cells({
        cell: functools.partial(_read_cell, uuids=[m.instance_uuid for m in placed])
        for cell, placed in cells.items()})
    for answer in answers.values():
        found.update(answer)
    for cell in missing:
        found.update({m.instance_uuid: _unknown(m) for m in cells[cell]})
    return sorted(cell.name for cell in missing)
