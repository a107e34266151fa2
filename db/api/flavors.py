"""Flavors (sizes of server) and their extra specs in the API DB."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.api.models import Flavor, FlavorExtraSpec, FlavorProject
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class FlavorRecord:
    """A flavor as the rest of Cellar sees it (detached from any session)."""

    flavorid: str
    name: str
    memory_mb: int
    vcpus: int
    root_gb: int
    ephemeral_gb: int
    swap: int
    rxtx_factor: float
    disabled: bool
    is_public: bool
    description: str | None
    extra_specs: dict[str, str]


def _record(row: Flavor) -> FlavorRecord:
    return FlavorRecord(row.flavorid, row.name, row.memory_mb, row.vcpus, row.root_gb,
                        row.ephemeral_gb, row.swap, row.rxtx_factor, row.disabled,
                        row.is_public, row.description,
                        {spec.key: spec.value for spec in row.extra_specs})


def create(api_url: str, flavorid: str, name: str, memory_mb: int, vcpus: int,
           root_gb: int = 0, ephemeral_gb: int = 0, swap: int = 0, rxtx_factor: float = 1.0,
           is_public: bool = True, extra_specs: dict[str, str] | None = None,
           description: str | None = None) -> FlavorRecord:
    """Add a flavor; Duplicate (naming the clashing field) if its name or id is taken."""
    row = Flavor(flavorid=flavorid, name=name, memory_mb=memory_mb, vcpus=vcpus,
                 root_gb=root_gb, ephemeral_gb=ephemeral_gb, swap=swap,
                 rxtx_factor=rxtx_factor, is_public=is_public, description=description,
                 extra_specs=[FlavorExtraSpec(key=k, value=v)
                              for k, v in (extra_specs or {}).items()])
    try:
        with session_for(api_url) as session:
            session.add(row)
            session.flush()
            return _record(row)
    except exc.IntegrityError as error:
        raise errors.Duplicate(_clash(api_url, flavorid, name)) from error


def _clash(api_url: str, flavorid: str, name: str) -> str:
    """Which unique key a failed insert hit, in the words the API reports."""
    with session_for(api_url) as session:
        by_id = session.scalar(sa.select(sa.func.count()).where(Flavor.flavorid == flavorid))
    if by_id:
        return f"Flavor with ID {flavorid} already exists."
    return f"Flavor with name {name} already exists."


def get(api_url: str, flavorid: str) -> FlavorRecord:
    """The flavor whose API id is ``flavorid``; NotFound otherwise."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(Flavor).where(Flavor.flavorid == flavorid)).first()
        if row is None:
            raise errors.NotFound(f"Flavor {flavorid} could not be found.")
        return _record(row)


def list_page(api_url: str, is_public: bool | None = True, min_ram: int = 0,
              min_disk: int = 0, limit: int | None = None,
              marker: str | None = None,
              accessible_to: str | None = None) -> list[FlavorRecord]:
    """Enabled flavors sorted by API id; ``is_public`` None means public and private.

    With ``accessible_to`` (a project), public flavors also include the private ones
    that project has access to. NotFound if ``marker`` names no flavor.
    """
    query = sa.select(Flavor).where(Flavor.disabled.is_(False),
                                    Flavor.memory_mb >= min_ram, Flavor.root_gb >= min_disk)
    if is_public and accessible_to is not None:
        query = query.where(sa.or_(Flavor.is_public.is_(True),
                                   _accessible(accessible_to)))
    elif is_public is not None:
        query = query.where(Flavor.is_public.is_(is_public))
    if marker is not None:
        query = query.where(Flavor.flavorid > get(api_url, marker).flavorid)
    query = query.order_by(Flavor.flavorid).limit(limit)
    with session_for(api_url) as session:
        return [_record(row) for row in session.scalars(query)]


def delete(api_url: str, flavorid: str) -> None:
    """Remove a flavor and its extra specs; NotFound if there is none.

    Servers keep working: each instance carries a copy of its flavor.
    """
    with session_for(api_url) as session:
        row = session.scalars(sa.select(Flavor).where(Flavor.flavorid == flavorid)).first()
        if row is None:
            raise errors.NotFound(f"Flavor {flavorid} could not be found.")
        session.delete(row)


def _locked(session, flavorid: str) -> Flavor:
    row = session.scalars(sa.select(Flavor).where(Flavor.flavorid == flavorid)
                          .with_for_update()).first()
    if row is None:
        raise errors.NotFound(f"Flavor {flavorid} could not be found.")
    return row


def set_description(api_url: str, flavorid: str, description: str | None) -> FlavorRecord:
    """Change a flavor's description, its only mutable field; NotFound if absent."""
    with session_for(api_url) as session:
        row = _locked(session, flavorid)
        row.description = description
        session.flush()
        return _record(row)


def set_extra_specs(api_url: str, flavorid: str, specs: dict[str, str]) -> dict[str, str]:
    """Add or overwrite extra specs; the flavor row is locked so writers serialize.

    Returns every extra spec of the flavor afterwards. NotFound if the flavor is gone.
    """
    with session_for(api_url) as session:
        row = _locked(session, flavorid)
        current = {spec.key: spec for spec in row.extra_specs}
        for key, value in specs.items():
            if key in current:
                current[key].value = value
            else:
                row.extra_specs.append(FlavorExtraSpec(key=key, value=value))
        session.flush()
        return {spec.key: spec.value for spec in row.extra_specs}


def delete_extra_spec(api_url: str, flavorid: str, key: str) -> None:
    """Remove one extra spec; NotFound if the flavor or the key is absent."""
    with session_for(api_url) as session:
        row = _locked(session, flavorid)
        if not session.execute(sa.delete(FlavorExtraSpec).where(
                FlavorExtraSpec.flavor_id == row.id, FlavorExtraSpec.key == key)).rowcount:
            raise errors.NotFound(f"Flavor {flavorid} has no extra specs with key {key}.")


def _accessible(project_id: str):
    return sa.exists().where(FlavorProject.flavor_id == Flavor.id,
                             FlavorProject.project_id == project_id)


def access_list(api_url: str, flavorid: str) -> list[str]:
    """The projects with access to a flavor, sorted; NotFound if there is no flavor."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(Flavor).where(Flavor.flavorid == flavorid)).first()
        if row is None:
            raise errors.NotFound(f"Flavor {flavorid} could not be found.")
        return list(session.scalars(sa.select(FlavorProject.project_id).where(
            FlavorProject.flavor_id == row.id).order_by(FlavorProject.project_id)))


def has_access(api_url: str, flavorid: str, project_id: str) -> bool:
    """Whether ``project_id`` was given access to the flavor."""
    with session_for(api_url) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(FlavorProject).join(
            Flavor, Flavor.id == FlavorProject.flavor_id).where(
            Flavor.flavorid == flavorid, FlavorProject.project_id == project_id)) > 0


def add_access(api_url: str, flavorid: str, project_id: str) -> None:
    """Give a project access to a flavor; Duplicate if it has it, NotFound if no flavor."""
    try:
        with session_for(api_url) as session:
            row = _locked(session, flavorid)
            session.add(FlavorProject(flavor_id=row.id, project_id=project_id))
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"Flavor access already exists for flavor {flavorid} and "
                               f"project {project_id} combination.") from error


def remove_access(api_url: str, flavorid: str, project_id: str) -> None:
    """Take a project's access away; NotFound if it had none (or there is no flavor)."""
    with session_for(api_url) as session:
        row = _locked(session, flavorid)
        if not session.execute(sa.delete(FlavorProject).where(
                FlavorProject.flavor_id == row.id,
                FlavorProject.project_id == project_id)).rowcount:
            raise errors.NotFound(f"Flavor access not found for {flavorid} / {project_id} "
                                  "combination.")
