"""What a cell DB recorded of an instance, as the conductor tests read it."""

from __future__ import annotations

import sqlalchemy as sa

from db.cell.models import InstanceAction, InstanceFault
from db.engine import session_for


def events(cell_url: str, instance_uuid: str) -> dict[str, list[tuple[str, str]]]:
    """Events by action name: [(event, result)]."""
    with session_for(cell_url) as session:
        actions = session.scalars(sa.select(InstanceAction).where(
            InstanceAction.instance_uuid == instance_uuid)).all()
        return {a.action: [(e.event, e.result) for e in a.events] for a in actions}


def faults(cell_url: str, instance_uuid: str) -> list[str]:
    """The messages of the instance's faults, oldest first."""
    with session_for(cell_url) as session:
        return list(session.scalars(sa.select(InstanceFault.message).where(
            InstanceFault.instance_uuid == instance_uuid)))
