"""Quota limits per project (API DB); usage is counted elsewhere, never tracked here."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import exc

from db.api.models import Quota
from db.engine import session_for


def limits(api_url: str, project_id: str) -> dict[str, int]:
    """The project's own limits, by resource (resources left at the default are absent)."""
    with session_for(api_url) as session:
        rows = session.execute(sa.select(Quota.resource, Quota.hard_limit).where(
            Quota.project_id == project_id)).all()
    return {resource: limit for resource, limit in rows}


def set_limits(api_url: str, project_id: str, values: dict[str, int]) -> None:
    """Set the project's limits of the listed resources (insert or update each)."""
    for resource, limit in values.items():
        with session_for(api_url) as session:
            changed = session.execute(sa.update(Quota).where(
                Quota.project_id == project_id, Quota.resource == resource)
                .values(hard_limit=limit)).rowcount
        if changed:
            continue
        try:
            with session_for(api_url) as session:
                session.add(Quota(project_id=project_id, resource=resource, hard_limit=limit))
        except exc.IntegrityError:
            # A racer inserted it first: ours is the later write, so it wins.
            with session_for(api_url) as session:
                session.execute(sa.update(Quota).where(
                    Quota.project_id == project_id, Quota.resource == resource)
                    .values(hard_limit=limit))


def delete_limits(api_url: str, project_id: str) -> None:
    """Forget the project's limits: it goes back to the defaults."""
    with session_for(api_url) as session:
        session.execute(sa.delete(Quota).where(Quota.project_id == project_id))
