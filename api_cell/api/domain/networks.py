"""The provider network: its configuration, the networks a create asks for, and the
addresses servers hold, as the compute API shows them.

Cellar has one provider network, described by the ``[network]`` options. Its
addresses are handed out by the superconductor once a host is chosen (see
``api_cell/superconductor/builder.py``), from the global table of db/api/fixed_ips.py;
the API only checks what a create asks for and shows what servers hold.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

from oslo_config import cfg

from api_cell import conf as api_conf
from api_cell.api import errors
from db.api import fixed_ips

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The request spec's record of what the create asked for: a list of
# {"uuid": network, "fixed_ip": address or absent}; empty for "none".
SPEC_KEY = "requested_networks"


class NetworkConfigError(ValueError):
    """The ``[network]`` options do not describe a usable network."""


@dataclasses.dataclass(frozen=True)
class ProviderNetwork:
    """The provider network and the range of addresses servers may be given."""

    name: str
    uuid: str
    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network
    gateway: IPAddress
    first: IPAddress
    last: IPAddress

    @property
    def reserved(self) -> frozenset[IPAddress]:
        """Addresses of the range never given to a server."""
        return frozenset({self.gateway})

    def in_range(self, address: IPAddress) -> bool:
        """Whether ``address`` may be given to a server."""
        return (address.version == self.first.version and self.first <= address <= self.last
                and address not in self.reserved)


def _address(option: str, text: str) -> IPAddress:
    try:
        return ipaddress.ip_address(text)
    except ValueError as error:
        raise NetworkConfigError(f"[network] {option} = {text!r} is not an IP "
                                 "address") from error


def parse(name: str, network_uuid: str, cidr: str, gateway: str | None = None,
          start: str | None = None, end: str | None = None) -> ProviderNetwork:
    """A ProviderNetwork from option values; NetworkConfigError says what is wrong.

    The gateway defaults to the subnet's first host address; the range to the subnet's
    host addresses after the gateway.
    """
    if not name:
        raise NetworkConfigError("[network] name must not be empty")
    try:
        network_uuid = str(uuidlib.UUID(network_uuid))
    except ValueError as error:
        raise NetworkConfigError(f"[network] uuid = {network_uuid!r} is not a UUID") \
            from error
    try:
        subnet = ipaddress.ip_network(cidr, strict=True)
    except ValueError as error:
        raise NetworkConfigError(f"[network] cidr = {cidr!r} is not a subnet in CIDR "
                                 f"notation: {error}") from error
    hosts = _host_bounds(subnet)
    gateway_ip = _address("gateway", gateway) if gateway else hosts[0]
    first = _address("allocation_start", start) if start else \
        _after(gateway_ip, hosts[0], hosts[1])
    last = _address("allocation_end", end) if end else hosts[1]
    for option, address in (("gateway", gateway_ip), ("allocation_start", first),
                            ("allocation_end", last)):
        if address not in subnet:
            raise NetworkConfigError(f"[network] {option} = {address} is outside "
                                     f"[network] cidr = {subnet}")
    if first > last:
        raise NetworkConfigError(f"[network] allocation_start = {first} comes after "
                                 f"allocation_end = {last}")
    if first == last == gateway_ip:
        raise NetworkConfigError("[network] allocation range holds only the gateway")
    return ProviderNetwork(name, network_uuid, subnet, gateway_ip, first, last)


def _host_bounds(subnet: ipaddress.IPv4Network | ipaddress.IPv6Network
                 ) -> tuple[IPAddress, IPAddress]:
    """The first and last host addresses: no network or broadcast address in IPv4
    (but all of a /31 or /32), no subnet-router anycast address in IPv6."""
    if subnet.num_addresses <= 2:
        raise NetworkConfigError(f"[network] cidr = {subnet} is too small: it needs a "
                                 "gateway and at least one address for servers")
    if subnet.version == 4:
        return subnet.network_address + 1, subnet.broadcast_address - 1
    return subnet.network_address + 1, subnet.broadcast_address


def _after(gateway: IPAddress, low: IPAddress, high: IPAddress) -> IPAddress:
    """The default start of the range: the first host address, past the gateway if the
    gateway is that address."""
    return low + 1 if gateway == low and low < high else low


def from_conf(conf: cfg.ConfigOpts) -> ProviderNetwork:
    """The provider network the ``[network]`` options of ``conf`` describe."""
    options = conf.network
    return parse(options.name, options.uuid, options.cidr, options.gateway,
                 options.allocation_start, options.allocation_end)


def configured() -> ProviderNetwork:
    """The provider network of the process-wide configuration."""
    return from_conf(api_conf.CONF)


def requested(networks: Any) -> list[dict[str, str]]:
    """What a create's ``networks`` asks for, as the request spec keeps it.

    Absent (before 2.37) and ``auto`` mean the provider network; ``none`` nothing; a
    list names networks by uuid, each maybe with a ``fixed_ip``. Ports are not served.
    """
    if networks is None or networks == "auto":
        return [{}]
    if networks == "none":
        return []
    wanted = []
    for item in networks:
        if item.get("port"):
            raise errors.BadRequest("Ports are not supported: request a network by its "
                                    "uuid, or use networks auto.")
        if not item.get("uuid"):
            raise errors.BadRequest("Bad networks format: each network needs a uuid.")
        entry = {"uuid": str(item["uuid"])}
        if item.get("fixed_ip") is not None:
            entry["fixed_ip"] = str(item["fixed_ip"])
        wanted.append(entry)
    return wanted


def check_requested(api_url: str, network: ProviderNetwork,
                    wanted: list[dict[str, str]]) -> list[dict[str, str]]:
    """``wanted`` resolved to the provider network; BadRequest (as Nova says it) for an
    unknown network, a second request of it, a malformed address, one outside the
    allocation range, or one another server holds."""
    resolved = []
    for entry in wanted:
        network_uuid = entry.get("uuid", network.uuid)
        if _canonical_uuid(network_uuid) != network.uuid:
            raise errors.BadRequest(f"Network {network_uuid} could not be found.")
        if resolved:
            raise errors.BadRequest(f"Network {network.uuid} is duplicated: a server "
                                    "gets one address per network.")
        item = {"uuid": network.uuid}
        if "fixed_ip" in entry:
            item["fixed_ip"] = _free_address(api_url, network, entry["fixed_ip"])
        resolved.append(item)
    return resolved


def _canonical_uuid(text: str) -> str | None:
    try:
        return str(uuidlib.UUID(text))
    except ValueError:
        return None


def _free_address(api_url: str, network: ProviderNetwork, text: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError as error:
        raise errors.BadRequest(f"Invalid fixed IP address ({text})") from error
    if not network.in_range(address):
        raise errors.BadRequest(f"Fixed IP {address} is not a valid ip address for "
                                f"network {network.uuid}.")
    if fixed_ips.holder_of(api_url, network.uuid, str(address)) is not None:
        raise errors.BadRequest(f"Fixed IP address {address} is already in use.")
    return str(address)


def entry(allocation: fixed_ips.Allocation) -> dict[str, Any]:
    """One address as a server's ``addresses`` shows it."""
    return {"version": allocation.version, "addr": allocation.address,
            "OS-EXT-IPS:TYPE": "fixed", "OS-EXT-IPS-MAC:mac_addr": allocation.mac_address}


def addresses_of(api_url: str, network: ProviderNetwork, instance_uuids: Iterable[str]
                 ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The ``addresses`` of each listed server, by uuid, read in one query.

    Addresses on a network no longer configured are shown under its uuid.
    """
    shown: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for uuid, held in fixed_ips.for_instances(api_url, instance_uuids).items():
        for allocation in held:
            label = network.name if allocation.network_uuid == network.uuid \
                else allocation.network_uuid
            shown.setdefault(uuid, {}).setdefault(label, []).append(entry(allocation))
    return shown


def matching(api_url: str, network: ProviderNetwork, pattern: str,
             version: int = 4) -> set[str]:
    """The servers holding an IPv4 (or, with ``version`` 6, IPv6) address that
    ``pattern`` (a regular expression, matched from the address's start, as Nova's
    ``ip`` and ``ip6`` filters do) matches."""
    name = "ip" if version == 4 else "ip6"
    try:
        wanted = re.compile(pattern)
    except re.error as error:
        raise errors.BadRequest(f"Invalid input for query parameters {name}. Value: "
                                f"{pattern}. It is not a valid regular expression.") \
            from error
    return {a.instance_uuid for a in fixed_ips.all_on(api_url, network.uuid)
            if a.version == version and wanted.match(a.address)}
