"""The JSON shape of host aggregates."""

from __future__ import annotations

import datetime
from typing import Any

from db.api.aggregates import AggregateRecord


def _time(moment: datetime.datetime | None) -> str | None:
    # Nova writes aggregate times as naive ISO 8601 with microseconds.
    return None if moment is None else moment.isoformat()


def aggregate(record: AggregateRecord, with_members: bool, with_uuid: bool
              ) -> dict[str, Any]:
    """One aggregate; ``hosts`` and ``metadata`` unless it was just created (as Nova),
    ``uuid`` from 2.41."""
    view: dict[str, Any] = {
        "id": record.id, "name": record.name,
        "availability_zone": record.availability_zone,
        "created_at": _time(record.created_at), "updated_at": _time(record.updated_at),
        "deleted": False, "deleted_at": None}
    if with_members:
        view["hosts"] = list(record.hosts)
        view["metadata"] = dict(record.metadata)
    if with_uuid:
        view["uuid"] = record.uuid
    return view
