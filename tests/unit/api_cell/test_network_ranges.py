"""The [network] options parsed into a provider network, and a create's networks."""

from __future__ import annotations

import ipaddress

import pytest

from api_cell.api import errors
from api_cell.api.domain import networks
from db.api import fixed_ips

UUID = "7e5c0a3b-9d4f-4e61-8b2a-ce11a7000001"


def _ip(text: str):
    return ipaddress.ip_address(text)


def test_defaults_leave_out_network_gateway_and_broadcast():
    net = networks.parse("public", UUID, "10.20.0.0/24")
    assert (net.gateway, net.first, net.last) == (_ip("10.20.0.1"), _ip("10.20.0.2"),
                                                  _ip("10.20.0.254"))
    assert net.reserved == frozenset({_ip("10.20.0.1")})


def test_gateway_elsewhere_keeps_the_first_host_address():
    net = networks.parse("public", UUID, "10.20.0.0/24", gateway="10.20.0.254")
    assert (net.first, net.last) == (_ip("10.20.0.1"), _ip("10.20.0.254"))
    assert not net.in_range(_ip("10.20.0.254"))
    assert net.in_range(_ip("10.20.0.253"))


def test_explicit_range():
    net = networks.parse("lab", UUID.upper(), "192.168.5.0/24", "192.168.5.1",
                         "192.168.5.100", "192.168.5.109")
    assert net.uuid == UUID
    assert net.in_range(_ip("192.168.5.100")) and net.in_range(_ip("192.168.5.109"))
    assert not net.in_range(_ip("192.168.5.99"))
    assert not net.in_range(_ip("192.168.5.110"))
    assert not net.in_range(_ip("fd00::5"))


def test_ipv6_subnet():
    net = networks.parse("v6", UUID, "fd00:1::/64")
    assert net.gateway == _ip("fd00:1::1")
    assert net.first == _ip("fd00:1::2")
    assert net.last == _ip("fd00:1::ffff:ffff:ffff:ffff")


@pytest.mark.parametrize(("kwargs", "complaint"), [
    ({"cidr": "10.20.0.0/33"}, "cidr"),
    ({"cidr": "10.20.0.1/24"}, "cidr"),
    ({"cidr": "banana"}, "cidr"),
    ({"cidr": "10.20.0.0/31"}, "too small"),
    ({"gateway": "10.30.0.1"}, "gateway = 10.30.0.1 is outside"),
    ({"gateway": "not-an-ip"}, "gateway"),
    ({"start": "10.20.0.50", "end": "10.20.0.40"}, "comes after"),
    ({"end": "10.21.0.1"}, "allocation_end = 10.21.0.1 is outside"),
    ({"start": "10.20.0.1", "end": "10.20.0.1"}, "only the gateway"),
    ({"network_uuid": "nope"}, "uuid"),
    ({"name": ""}, "name"),
])
def test_bad_options_are_refused_with_the_option_named(kwargs, complaint):
    args = {"name": "public", "network_uuid": UUID, "cidr": "10.20.0.0/24"}
    args.update(kwargs)
    with pytest.raises(networks.NetworkConfigError, match=complaint):
        networks.parse(**args)


def test_requested_networks():
    assert networks.requested(None) == [{}]
    assert networks.requested("auto") == [{}]
    assert networks.requested("none") == []
    assert networks.requested([{"uuid": UUID, "fixed_ip": "10.20.0.9"}]) == [
        {"uuid": UUID, "fixed_ip": "10.20.0.9"}]
    with pytest.raises(errors.BadRequest, match="Ports are not supported"):
        networks.requested([{"port": UUID}])
    with pytest.raises(errors.BadRequest, match="needs a uuid"):
        networks.requested([{"fixed_ip": "10.20.0.9"}])


def test_unknown_or_repeated_network_is_refused_before_any_lookup():
    net = networks.parse("public", UUID, "10.20.0.0/24")
    other = "0b0e6c1e-0000-4000-8000-000000000000"
    with pytest.raises(errors.BadRequest, match=f"Network {other} could not be found"):
        networks.check_requested("unused://", net, [{"uuid": other}])
    with pytest.raises(errors.BadRequest, match="duplicated"):
        networks.check_requested("unused://", net, [{"uuid": UUID}, {"uuid": UUID}])
    assert networks.check_requested("unused://", net, [{}]) == [{"uuid": UUID}]
    with pytest.raises(errors.BadRequest, match="not a valid ip address for network"):
        networks.check_requested("unused://", net, [{"uuid": UUID, "fixed_ip": "10.20.0.1"}])
    with pytest.raises(errors.BadRequest, match="Invalid fixed IP address"):
        networks.check_requested("unused://", net, [{"uuid": UUID, "fixed_ip": "10.20.0"}])


def test_mac_is_stable_and_openstack_shaped():
    mac = fixed_ips.mac_for("a", UUID)
    assert mac == fixed_ips.mac_for("a", UUID) != fixed_ips.mac_for("b", UUID)
    assert mac.startswith("fa:16:3e:") and len(mac) == 17
