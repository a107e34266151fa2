"""The os-migrations view (migration_type 2.23, uuid 2.59, user and project 2.80)."""

from __future__ import annotations

import datetime
from typing import Any

from db.cell.migration_records import MigrationRecord


def _time(moment: datetime.datetime | None) -> str | None:
    # Nova writes migration times without a zone suffix.
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def migration(record: MigrationRecord, version: tuple[int, int]) -> dict[str, Any]:
    """One migration as GET /os-migrations lists it at ``version``."""
    view: dict[str, Any] = {
        "id": record.id, "instance_uuid": record.instance_uuid, "status": record.status,
        "source_compute": record.source_compute, "source_node": record.source_node,
        "dest_compute": record.dest_compute, "dest_node": record.dest_node,
        "dest_host": record.dest_host, "old_instance_type_id": record.old_flavor_id,
        "new_instance_type_id": record.new_flavor_id,
        "created_at": _time(record.created_at), "updated_at": _time(record.updated_at)}
    if version >= (2, 23):
        view["migration_type"] = record.migration_type
    if version >= (2, 59):
        view["uuid"] = record.uuid
    if version >= (2, 80):
        view["user_id"] = record.user_id
        view["project_id"] = record.project_id
    return view
