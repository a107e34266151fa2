"""The libvirt driver: domain XML, state mapping, and operations on test:///default."""

import uuid
import xml.etree.ElementTree as ET

import libvirt
import pytest

from common import states
from compute_agent.virt import driver
from compute_agent.virt import libvirt as libvirt_driver


def _spec(**overrides) -> driver.GuestSpec:
    values = {"instance_uuid": str(uuid.uuid4()), "name": "web-1", "vcpus": 2,
              "memory_mb": 128, "root_gb": 1, "image_ref": "cirros"}
    values.update(overrides)
    return driver.GuestSpec(**values)


@pytest.fixture
def host() -> str:
    return f"host-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def virt(host):
    conn = libvirt_driver.LibvirtDriver("test:///default", host, shutdown_timeout=0.2,
                                        poll_interval=0.01)
    yield conn
    for instance_uuid in conn.power_states():
        conn.destroy(instance_uuid)
    conn.close()


def test_domain_xml_names_and_sizes_the_guest():
    spec = _spec()
    root = ET.fromstring(libvirt_driver.domain_xml(spec, "h1", "test"))
    assert root.get("type") == "test"
    assert root.findtext("name") == f"instance-{spec.instance_uuid}"
    assert root.findtext("uuid") == spec.instance_uuid
    assert root.find("memory").get("unit") == "MiB"
    assert root.findtext("memory") == "128"
    assert root.findtext("vcpu") == "2"
    ns = {"c": libvirt_driver.METADATA_NS}
    assert root.findtext("metadata/c:instance/c:host", namespaces=ns) == "h1"


def test_domain_xml_escapes_the_display_name():
    root = ET.fromstring(libvirt_driver.domain_xml(_spec(name="<a & b>"), "h1", "test"))
    assert root.findtext("title") == "<a & b>"


@pytest.mark.parametrize(("libvirt_state", "expected"), [
    (libvirt.VIR_DOMAIN_RUNNING, states.RUNNING),
    (libvirt.VIR_DOMAIN_BLOCKED, states.RUNNING),
    (libvirt.VIR_DOMAIN_PAUSED, states.PAUSED),
    (libvirt.VIR_DOMAIN_SHUTOFF, states.SHUTDOWN),
    (libvirt.VIR_DOMAIN_CRASHED, states.CRASHED),
    (libvirt.VIR_DOMAIN_PMSUSPENDED, states.SUSPENDED),
    (libvirt.VIR_DOMAIN_NOSTATE, states.NOSTATE),
])
def test_power_state_mapping(libvirt_state, expected):
    assert libvirt_driver.power_state(libvirt_state) == expected


def test_domain_type():
    assert libvirt_driver.domain_type("TEST", kvm_available=True) == "test"
    assert libvirt_driver.domain_type("QEMU", kvm_available=True) == "kvm"
    assert libvirt_driver.domain_type("QEMU", kvm_available=False) == "qemu"
    # An operator's choice wins over what the host seems to offer.
    assert libvirt_driver.domain_type("QEMU", kvm_available=True, wanted="qemu") == "qemu"
    assert libvirt_driver.domain_type("QEMU", kvm_available=False, wanted="kvm") == "kvm"
    assert libvirt_driver.domain_type("TEST", kvm_available=True, wanted="kvm") == "test"
    with pytest.raises(driver.DriverError):
        libvirt_driver.domain_type("Xen", kvm_available=False)


def test_resources_come_from_the_hypervisor(virt):
    found = virt.resources()
    _model, memory_mb, cpus, *_ = virt.conn.getInfo()
    assert (found.hypervisor_type, found.vcpus, found.memory_mb) == ("TEST", cpus, memory_mb)
    assert found.local_gb > 0  # the test driver's default pool


def test_configured_disk_size_wins(host):
    virt = libvirt_driver.LibvirtDriver("test:///default", host, local_gb=7)
    try:
        assert virt.resources().local_gb == 7
    finally:
        virt.close()


def test_spawn_is_idempotent(virt):
    spec = _spec()
    assert virt.spawn(spec) == states.RUNNING
    assert virt.spawn(spec) == states.RUNNING
    assert virt.power_states() == {spec.instance_uuid: states.RUNNING}


def test_spawn_starts_a_defined_but_stopped_guest(virt):
    spec = _spec()
    virt.spawn(spec)
    virt.power_off(spec.instance_uuid)
    assert virt.spawn(spec) == states.RUNNING


def test_power_cycle_and_reboot(virt):
    spec = _spec()
    virt.spawn(spec)
    assert virt.power_off(spec.instance_uuid) == states.SHUTDOWN
    assert virt.power_off(spec.instance_uuid) == states.SHUTDOWN
    assert virt.power_on(spec.instance_uuid) == states.RUNNING
    assert virt.reboot(spec.instance_uuid, hard=False) == states.RUNNING
    assert virt.reboot(spec.instance_uuid, hard=True) == states.RUNNING


def test_destroy_removes_the_domain_and_repeats_harmlessly(virt):
    spec = _spec()
    virt.spawn(spec)
    assert virt.destroy(spec.instance_uuid) is True
    assert virt.destroy(spec.instance_uuid) is False
    with pytest.raises(libvirt.libvirtError):
        virt.conn.lookupByName(libvirt_driver.domain_name(spec.instance_uuid))


def test_operations_on_a_missing_guest_raise_not_found(virt):
    with pytest.raises(driver.InstanceNotFound):
        virt.power_on(str(uuid.uuid4()))


def test_guests_of_other_hosts_and_foreign_domains_are_invisible(virt, host):
    # Every test:///default connection of a process shares one hypervisor, which
    # also holds libvirt's own 'test' domain.
    other = libvirt_driver.LibvirtDriver("test:///default", host + "-other")
    try:
        spec = _spec()
        other.spawn(spec)
        assert virt.power_states() == {}
        assert virt.power_states([spec.instance_uuid]) == {}
        with pytest.raises(driver.InstanceNotFound):
            virt.power_off(spec.instance_uuid)
        assert virt.destroy(spec.instance_uuid) is False
        assert other.power_states() == {spec.instance_uuid: states.RUNNING}
        other.destroy(spec.instance_uuid)
    finally:
        other.close()
