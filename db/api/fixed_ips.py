"""Fixed IPs: which instance holds which address of a provider network (API DB).

The table is global, so an address is never handed to two instances, whatever cells
they live in. Allocators do not lock: each picks a free-looking address and inserts
it, and the unique key on (network, address) turns a race into an IntegrityError, after
which the loser picks again. The unique key on (instance, network) makes an allocation
idempotent per instance: a redelivered build gets the address it got the first time.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import ipaddress
import random
from collections.abc import Iterable
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.api.models import FixedIp
from db.engine import session_for

# Free addresses an allocator chooses among at random: concurrent allocators then
# rarely pick the same one, and the lowest free addresses are still preferred.
_SPREAD = 16
# Allocation rounds lost to racing allocators before giving up (each round re-reads
# the used addresses, so this is only reached under extreme contention).
_MAX_ROUNDS = 100
# Locally administered prefix OpenStack uses for the MACs of its ports.
_MAC_PREFIX = "fa:16:3e"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Exhausted(errors.DBError):
    """Every address of the network's allocation range is held."""


class AddressPool(Protocol):
    """What the allocator needs to know of a network."""

    uuid: str
    first: IPAddress
    last: IPAddress
    reserved: frozenset[IPAddress]


@dataclasses.dataclass(frozen=True)
class Allocation:
    """An address held by an instance."""

    network_uuid: str
    address: str
    instance_uuid: str
    mac_address: str
    created_at: datetime.datetime

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.address).version


def _record(row: FixedIp) -> Allocation:
    return Allocation(row.network_uuid, row.address, row.instance_uuid, row.mac_address,
                      row.created_at)


def mac_for(instance_uuid: str, network_uuid: str) -> str:
    """A stable MAC for the instance's interface on the network."""
    digest = hashlib.sha256(f"{instance_uuid}/{network_uuid}".encode()).hexdigest()
    return ":".join([_MAC_PREFIX, digest[0:2], digest[2:4], digest[4:6]])


def allocate(api_url: str, network: AddressPool, instance_uuid: str,
             address: str | None = None) -> Allocation:
    """The instance's address on ``network``, allocated now if it has none.

    With ``address`` that address is taken (errors.Duplicate if another instance holds
    it); otherwise a free one of the pool. Exhausted when the pool has none left.
    """
    for _round in range(_MAX_ROUNDS):
        held = get(api_url, instance_uuid, network.uuid)
        if held is not None:
            return held
        wanted = address or _pick(api_url, network)
        try:
            return _insert(api_url, network.uuid, wanted, instance_uuid)
        except exc.OperationalError as error:
            if not _deadlock(error):
                raise
        except exc.IntegrityError:
            if address is not None and get(api_url, instance_uuid, network.uuid) is None:
                raise errors.Duplicate(f"Fixed IP address {address} is already in use.") \
                    from None
    raise errors.Conflict(f"could not allocate an address on network {network.uuid} "
                          f"after {_MAX_ROUNDS} attempts")


def _deadlock(error: exc.OperationalError) -> bool:
    # InnoDB may pick one of several inserts waiting on the same unique key as a
    # deadlock victim (error 1213): that is a lost race too, to be run again.
    args = getattr(error.orig, "args", ())
    return bool(args) and args[0] == 1213


def _insert(api_url: str, network_uuid: str, address: str,
            instance_uuid: str) -> Allocation:
    with session_for(api_url) as session:
        row = FixedIp(network_uuid=network_uuid, address=address,
                      instance_uuid=instance_uuid,
                      mac_address=mac_for(instance_uuid, network_uuid))
        session.add(row)
        session.flush()
        return _record(row)


def _pick(api_url: str, network: AddressPool) -> str:
    """One of the lowest free addresses of the pool, at random; Exhausted if none."""
    with session_for(api_url) as session:
        used = {int(ipaddress.ip_address(a)) for a in session.scalars(
            sa.select(FixedIp.address).where(FixedIp.network_uuid == network.uuid))}
    used |= {int(a) for a in network.reserved}
    free = []
    candidate, last = int(network.first), int(network.last)
    while candidate <= last and len(free) < _SPREAD:
        if candidate not in used:
            free.append(candidate)
        candidate += 1
    if not free:
        raise Exhausted(f"no more fixed IPs on network {network.uuid}")
    return str(ipaddress.ip_address(random.choice(free)))


def get(api_url: str, instance_uuid: str, network_uuid: str) -> Allocation | None:
    """The instance's address on the network, or None."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(FixedIp).where(
            FixedIp.instance_uuid == instance_uuid,
            FixedIp.network_uuid == network_uuid)).first()
        return None if row is None else _record(row)


def holder_of(api_url: str, network_uuid: str, address: str) -> str | None:
    """The instance holding ``address`` on the network, or None if it is free."""
    with session_for(api_url) as session:
        return session.scalar(sa.select(FixedIp.instance_uuid).where(
            FixedIp.network_uuid == network_uuid, FixedIp.address == address))


def for_instances(api_url: str, instance_uuids: Iterable[str]) -> dict[str, list[Allocation]]:
    """The addresses of each listed instance that holds any, in one query."""
    uuids = list(instance_uuids)
    if not uuids:
        return {}
    found: dict[str, list[Allocation]] = {}
    with session_for(api_url) as session:
        for row in session.scalars(sa.select(FixedIp).where(
                FixedIp.instance_uuid.in_(uuids)).order_by(FixedIp.id)):
            found.setdefault(row.instance_uuid, []).append(_record(row))
    return found


def all_on(api_url: str, network_uuid: str) -> list[Allocation]:
    """Every address held on the network (for filtering servers by address)."""
    with session_for(api_url) as session:
        return [_record(row) for row in session.scalars(sa.select(FixedIp).where(
            FixedIp.network_uuid == network_uuid))]


def release(api_url: str, instance_uuid: str) -> int:
    """Give back every address of the instance; how many were held (0 when repeated)."""
    with session_for(api_url) as session:
        return session.execute(sa.delete(FixedIp).where(
            FixedIp.instance_uuid == instance_uuid)).rowcount
