"""The key pair views (2.1, ``type`` from 2.2)."""

from __future__ import annotations

from typing import Any

from db.api.keypairs import KeyPairRecord


def _time(moment) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def created(key: KeyPairRecord, with_type: bool,
            private_key: str | None = None) -> dict[str, Any]:
    """The reply to POST /os-keypairs (with the private key when the API made the pair)."""
    view = {"name": key.name, "public_key": key.public_key, "fingerprint": key.fingerprint,
            "user_id": key.user_id}
    if with_type:
        view["type"] = key.type
    if private_key is not None:
        view["private_key"] = private_key
    return view


def summary(key: KeyPairRecord, with_type: bool) -> dict[str, Any]:
    """An entry of GET /os-keypairs (wrapped in its own ``keypair`` object)."""
    view = {"name": key.name, "public_key": key.public_key, "fingerprint": key.fingerprint}
    if with_type:
        view["type"] = key.type
    return {"keypair": view}


def detail(key: KeyPairRecord, with_type: bool) -> dict[str, Any]:
    """The reply to GET /os-keypairs/{name}."""
    view = {**created(key, with_type), "id": key.id, "created_at": _time(key.created_at),
            "updated_at": _time(key.updated_at), "deleted": False, "deleted_at": None}
    return view
