"""Helpers of the compute API tests: callers, a private config, and data builders."""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg

from api_cell import conf as api_conf
from common import config, liveness, redis_client
from db.api import cells as db_cells
from db.api import flavors as db_flavors
from db.api import images as db_images
from db.api import instances as api_instances
from db.api.models import InstanceMapping
from db.cell import instances as cell_instances
from db.engine import session_for

ADMIN = {"X-Auth-Token": "admin"}
ALICE = {"X-Auth-Token": "alice:project-a"}
BOB = {"X-Auth-Token": "bob:project-b"}


def make_conf(api_db: str, redis_url: str, redis_prefix: str,
              placement_endpoint: str | None = None, **compute_api: Any) -> cfg.ConfigOpts:
    """A private configuration, so tests never share the process-wide CONF."""
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    api_conf.register_opts(conf)
    conf([], project="cellar", default_config_files=[])
    conf.set_override("connection", api_db, group="api_database")
    conf.set_override("url", redis_url, group="redis")
    conf.set_override("key_prefix", redis_prefix, group="redis")
    if placement_endpoint is not None:
        conf.set_override("endpoint", placement_endpoint, group="placement_client")
    for name, value in compute_api.items():
        conf.set_override(name, value, group="compute_api")
    return conf


@dataclasses.dataclass
class World:
    """The databases a test works on, and helpers to fill them."""

    api_db: str
    cells: dict[str, db_cells.Cell]
    redis_url: str
    redis_prefix: str
    placement_endpoint: str | None = None

    def __post_init__(self) -> None:
        # Every cell but cell0 is served: its conductors' alive key is set, for an hour.
        for cell in self.cells.values():
            if not cell.is_cell0:
                self.set_conductor(cell.name, alive=True)

    def set_conductor(self, cell: str, alive: bool) -> None:
        """Make ``cell`` look served by a conductor, or by none."""
        client = redis_client.get(self.redis_url)
        if alive:
            liveness.mark_conductor_up(client, self.redis_prefix, self.cells[cell].uuid, 3600)
        else:
            client.delete(liveness.conductor_key(self.redis_prefix, self.cells[cell].uuid))

    def flavor(self, flavorid: str = "1", name: str = "m1.tiny", ram: int = 512,
               vcpus: int = 1, disk: int = 1, **kwargs: Any) -> db_flavors.FlavorRecord:
        return db_flavors.create(self.api_db, flavorid=flavorid, name=name, memory_mb=ram,
                                 vcpus=vcpus, root_gb=disk, **kwargs)

    def image(self, **kwargs: Any) -> db_images.ImageRecord:
        return db_images.create(self.api_db, kwargs.pop("name", "cirros"), **kwargs)

    def instance(self, cell: str, project_id: str = "project-a", user_id: str = "alice",
                 vm_state: str = "active", task_state: str | None = None,
                 created_at: datetime.datetime | None = None, **fields: Any) -> str:
        """A server placed in ``cell``: its row in the cell DB and its mapping."""
        instance_uuid = fields.pop("uuid", None) or str(uuidlib.uuid4())
        created_at = created_at or datetime.datetime(2024, 1, 1)
        api_instances.create_build(self.api_db, instance_uuid, project_id, user_id,
                                   {"name": "x", "flavor": {}}, {})
        _set_created(self.api_db, instance_uuid, created_at)
        cell_mapping = self.cells[cell]
        cell_instances.create(
            cell_mapping.database_connection, uuid=instance_uuid, project_id=project_id,
            user_id=user_id, display_name=fields.pop("display_name", f"vm-{instance_uuid[:8]}"),
            host=fields.pop("host", "host1"), node=fields.pop("node", "host1"),
            flavor=fields.pop("flavor", {"id": "1", "name": "m1.tiny", "vcpus": 1,
                                         "ram": 512, "disk": 1, "ephemeral": 0, "swap": 0,
                                         "extra_specs": {}}),
            image_ref=fields.pop("image_ref", str(uuidlib.uuid4())), vm_state=vm_state,
            task_state=task_state, power_state=fields.pop("power_state", 1),
            created_at=created_at, **fields)
        assert api_instances.place(self.api_db, instance_uuid, cell_mapping.id)
        return instance_uuid


def _set_created(api_db: str, instance_uuid: str, created_at: datetime.datetime) -> None:
    # The mapping's creation time is the list's sort key; tests choose it.
    with session_for(api_db) as session:
        session.execute(sa.update(InstanceMapping)
                        .where(InstanceMapping.instance_uuid == instance_uuid)
                        .values(created_at=created_at))


def paged_servers(client, url: str, headers: dict, field: str = "id",
                  most: int = 100) -> list:
    """``field`` of every server of the list at ``url`` (which sets ``limit``), page by
    page, each page asked with the previous one's last id as marker, until a page
    has no next link; at most ``most`` pages."""
    found: list = []
    marker = None
    for _page in range(most):
        suffix = f"&marker={marker}" if marker else ""
        reply = client.get(url + suffix, headers=headers)
        assert reply.status_code == 200, reply.json
        found += [server[field] for server in reply.json["servers"]]
        if "servers_links" not in reply.json:
            return found
        marker = reply.json["servers"][-1]["id"]
    raise AssertionError(f"{url}: still a next link after {most} pages")
