"""The libvirt virt driver: one guest domain per instance, named ``instance-<uuid>``.

Several agents of one process may share a hypervisor (every ``test:///default``
connection of a process is the same in-memory hypervisor, which also holds a domain
named ``test``). Each guest therefore carries its host's name in its metadata, and a
driver only ever sees domains named ``instance-<uuid>`` tagged with its own host.
"""

from __future__ import annotations

import logging
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

import libvirt

from common import states
from compute_agent.virt import driver

LOG = logging.getLogger(__name__)

NAME_PREFIX = "instance-"
METADATA_NS = "https://cellar.dev/xmlns/libvirt/instance/1"
METADATA_PREFIX = "cellar"

_POWER_STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: states.NOSTATE,
    libvirt.VIR_DOMAIN_RUNNING: states.RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: states.RUNNING,
    libvirt.VIR_DOMAIN_PAUSED: states.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: states.SHUTDOWN,
    libvirt.VIR_DOMAIN_SHUTOFF: states.SHUTDOWN,
    libvirt.VIR_DOMAIN_CRASHED: states.CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: states.SUSPENDED,
}


def _quiet(_ctx, _error) -> None:
    """libvirt prints every error to stderr by default; the driver raises them instead."""


libvirt.registerErrorHandler(_quiet, None)


def domain_name(instance_uuid: str) -> str:
    """The libvirt domain name of an instance."""
    return NAME_PREFIX + instance_uuid


def domain_type(hypervisor_type: str, kvm_available: bool) -> str:
    """The ``<domain type=...>`` for a connection whose ``getType()`` is ``hypervisor_type``."""
    if hypervisor_type == "TEST":
        return "test"
    if hypervisor_type == "QEMU":
        return "kvm" if kvm_available else "qemu"
    raise driver.DriverError(f"unsupported libvirt hypervisor {hypervisor_type}")


def domain_xml(spec: driver.GuestSpec, host: str, virt_type: str) -> str:
    """The domain definition of a guest."""
    domain = ET.Element("domain", type=virt_type)
    ET.SubElement(domain, "name").text = domain_name(spec.instance_uuid)
    ET.SubElement(domain, "uuid").text = spec.instance_uuid
    ET.SubElement(domain, "title").text = spec.name
    ET.SubElement(domain, "memory", unit="MiB").text = str(spec.memory_mb)
    ET.SubElement(domain, "vcpu").text = str(spec.vcpus)
    os_element = ET.SubElement(domain, "os")
    ET.SubElement(os_element, "type").text = "hvm"
    metadata = ET.SubElement(domain, "metadata")
    instance = ET.SubElement(metadata, f"{{{METADATA_NS}}}instance")
    ET.SubElement(instance, f"{{{METADATA_NS}}}host").text = host
    ET.SubElement(instance, f"{{{METADATA_NS}}}image").text = spec.image_ref
    ET.SubElement(instance, f"{{{METADATA_NS}}}root_gb").text = str(spec.root_gb)
    ET.register_namespace(METADATA_PREFIX, METADATA_NS)
    return ET.tostring(domain, encoding="unicode")


def power_state(libvirt_state: int) -> int:
    """The Compute API power state of a libvirt domain state."""
    return _POWER_STATES.get(libvirt_state, states.NOSTATE)


class LibvirtDriver(driver.ComputeDriver):
    """Drives one libvirt connection on behalf of ``host``."""

    def __init__(self, uri: str, host: str, storage_pool: str | None = None,
                 local_gb: int = 0, shutdown_timeout: float = 60.0,
                 poll_interval: float = 0.5) -> None:
        self.host = host
        self.storage_pool = storage_pool
        self.local_gb = local_gb
        self.shutdown_timeout = shutdown_timeout
        self.poll_interval = poll_interval
        try:
            self.conn = libvirt.open(uri)
        except libvirt.libvirtError as error:
            raise driver.DriverError(f"cannot connect to {uri}: {error}") from error
        self.virt_type = domain_type(self.conn.getType(), os.path.exists("/dev/kvm"))

    def resources(self) -> driver.HostResources:
        _model, memory_mb, cpus, *_rest = self.conn.getInfo()
        return driver.HostResources(hypervisor_type=self.conn.getType(), vcpus=cpus,
                                    memory_mb=memory_mb, local_gb=self._local_gb())

    def _local_gb(self) -> int:
        if self.local_gb:
            return self.local_gb
        pools = [p for p in self.conn.listAllStoragePools()
                 if p.isActive() and self.storage_pool in (None, p.name())]
        if not pools:
            LOG.warning("no active libvirt storage pool %s: offering no disk",
                        self.storage_pool or "")
            return 0
        _state, capacity, _allocation, _available = pools[0].info()
        return capacity // 1024**3

    def _own(self, domain: libvirt.virDomain) -> bool:
        try:
            found = ET.fromstring(domain.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                                                  METADATA_NS))
        except libvirt.libvirtError:
            return False  # no Cellar metadata: not a guest any agent created
        return found.findtext("host") == self.host

    def _lookup(self, instance_uuid: str) -> libvirt.virDomain:
        try:
            domain = self.conn.lookupByName(domain_name(instance_uuid))
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise driver.InstanceNotFound(f"no guest for instance {instance_uuid}") \
                    from error
            raise driver.DriverError(str(error)) from error
        if not self._own(domain):
            raise driver.InstanceNotFound(f"instance {instance_uuid} is not on {self.host}")
        return domain

    def _state(self, domain: libvirt.virDomain) -> int:
        return power_state(domain.state()[0])

    def _do(self, instance_uuid: str, action: Callable[[libvirt.virDomain], None]) -> int:
        domain = self._lookup(instance_uuid)
        try:
            action(domain)
            return self._state(domain)
        except libvirt.libvirtError as error:
            raise driver.DriverError(f"instance {instance_uuid}: {error}") from error

    def spawn(self, spec: driver.GuestSpec) -> int:
        try:
            self._lookup(spec.instance_uuid)
        except driver.InstanceNotFound:
            try:
                self.conn.defineXML(domain_xml(spec, self.host, self.virt_type))
            except libvirt.libvirtError as error:
                raise driver.DriverError(
                    f"cannot define instance {spec.instance_uuid}: {error}") from error
        return self._do(spec.instance_uuid, _start)

    def destroy(self, instance_uuid: str) -> bool:
        try:
            domain = self._lookup(instance_uuid)
        except driver.InstanceNotFound:
            return False
        try:
            _remove(domain)
        except libvirt.libvirtError as error:
            raise driver.DriverError(f"instance {instance_uuid}: {error}") from error
        return True

    def power_on(self, instance_uuid: str) -> int:
        return self._do(instance_uuid, _start)

    def power_off(self, instance_uuid: str) -> int:
        return self._do(instance_uuid, self._shutdown)

    def _shutdown(self, domain: libvirt.virDomain) -> None:
        if not domain.isActive():
            return
        domain.shutdown()
        deadline = time.monotonic() + self.shutdown_timeout
        while domain.isActive() and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
        if domain.isActive():
            LOG.warning("guest %s ignored the shutdown request; powering it off",
                        domain.name())
            domain.destroy()

    def reboot(self, instance_uuid: str, hard: bool) -> int:
        return self._do(instance_uuid, _hard_reboot if hard else _soft_reboot)

    def power_states(self, instance_uuids: Iterable[str] | None = None) -> dict[str, int]:
        if instance_uuids is None:
            domains = [d for d in self.conn.listAllDomains()
                       if d.name().startswith(NAME_PREFIX) and self._own(d)]
        else:
            domains = []
            for instance_uuid in instance_uuids:
                try:
                    domains.append(self._lookup(instance_uuid))
                except driver.InstanceNotFound:
                    continue
        return {d.name()[len(NAME_PREFIX):]: self._state(d) for d in domains}

    def close(self) -> None:
        self.conn.close()


def _start(domain: libvirt.virDomain) -> None:
    if not domain.isActive():
        domain.create()


def _remove(domain: libvirt.virDomain) -> None:
    if domain.isActive():
        domain.destroy()
    domain.undefine()


def _hard_reboot(domain: libvirt.virDomain) -> None:
    if domain.isActive():
        domain.destroy()
    domain.create()


def _soft_reboot(domain: libvirt.virDomain) -> None:
    if not domain.isActive():
        domain.create()
        return
    try:
        domain.reboot(0)
    except libvirt.libvirtError as error:
        # A guest without ACPI support cannot reboot itself: power-cycle it instead.
        LOG.warning("soft reboot of %s failed (%s); rebooting hard", domain.name(), error)
        _hard_reboot(domain)

