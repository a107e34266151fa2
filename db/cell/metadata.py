"""Server metadata (the instance's ``metadata_items``), changed in one locked transaction.

Each change reads the row ``FOR UPDATE``, computes the new dict and writes it before the
lock is released, so two writers racing on one server never lose each other's keys.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.cell.models import Instance
from db.engine import session_for


def get(cell_url: str, uuid: str) -> dict[str, str]:
    """The instance's metadata; NotFound if it is gone."""
    with session_for(cell_url) as session:
        row = session.execute(sa.select(Instance.metadata_items).where(
            Instance.uuid == uuid, Instance.deleted == 0)).first()
    if row is None:
        raise errors.NotFound(f"instance {uuid} could not be found")
    return dict(row[0] or {})


# MySQL/MariaDB: deadlock found / lock wait timeout; the transaction may be retried.
_RETRYABLE = (1213, 1205)
_ATTEMPTS = 5


def change(cell_url: str, uuid: str,
           compute: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
    """Replace the metadata by ``compute(current)`` atomically; the result is returned.

    ``compute`` may raise to abort (nothing is written). NotFound if the instance is gone.
    A transaction the database aborts as a deadlock victim is run again.
    """
    for attempt in range(_ATTEMPTS):
        try:
            return _change(cell_url, uuid, compute)
        except exc.OperationalError as error:
            code = error.orig.args[0] if error.orig is not None and error.orig.args else None
            if code not in _RETRYABLE or attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _change(cell_url: str, uuid: str,
            compute: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
    with session_for(cell_url) as session:
        row = session.execute(sa.select(Instance.id, Instance.metadata_items).where(
            Instance.uuid == uuid, Instance.deleted == 0).with_for_update()).first()
        if row is None:
            raise errors.NotFound(f"instance {uuid} could not be found")
        result = compute(dict(row.metadata_items or {}))
        session.execute(sa.update(Instance).where(Instance.id == row.id)
                        .values(metadata_items=result))
    return result
