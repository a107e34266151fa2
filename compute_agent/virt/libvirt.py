"""The libvirt virt driver: one guest domain per instance, named ``instance-<uuid>``.

Several agents of one process may share a hypervisor (every ``test:///default``
connection of a process is the same in-memory hypervisor, which also holds a domain
named ``test``). Each guest therefore carries its host's name in its metadata, and a
driver only ever sees domains named ``instance-<uuid>`` tagged with its own host.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

import libvirt

from common import states
from compute_agent.virt import console, driver
from compute_agent.virt.disks import OverlayDisks

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


def domain_type(hypervisor_type: str, kvm_available: bool, wanted: str = "auto") -> str:
    """The ``<domain type=...>`` for a connection whose ``getType()`` is
    ``hypervisor_type``: ``wanted`` (kvm or qemu, the latter being TCG emulation), or
    with "auto" kvm when it is available."""
    if hypervisor_type == "TEST":
        return "test"
    if hypervisor_type == "QEMU":
        if wanted != "auto":
            return wanted
        return "kvm" if kvm_available else "qemu"
    raise driver.DriverError(f"unsupported libvirt hypervisor {hypervisor_type}")


@dataclasses.dataclass(frozen=True)
class RootDisk:
    """The file a guest boots from, in a format QEMU names."""

    path: str
    format: str
    # Writes go to an overlay libvirt throws away (test domains, which run nothing).
    transient: bool = False


def domain_xml(spec: driver.GuestSpec, host: str, virt_type: str,
               root: RootDisk | None = None) -> str:
    """The domain definition of a guest (booting from ``root`` when it has one)."""
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
    # Recorded, not plugged: Cellar wires no host networking, so the addresses and
    # MACs travel with the guest for whatever does (and for operators to read).
    for network_uuid, address, mac in spec.interfaces:
        ET.SubElement(instance, f"{{{METADATA_NS}}}interface", network=network_uuid,
                      address=address, mac=mac)
    if root is not None:
        _disk(ET.SubElement(domain, "devices"), root)
    ET.register_namespace(METADATA_PREFIX, METADATA_NS)
    return ET.tostring(domain, encoding="unicode")


# Image disk formats QEMU reads as they are; any other is handed over as raw.
_QEMU_FORMATS = {"qcow2": "qcow2", "raw": "raw", "vmdk": "vmdk", "vdi": "vdi",
                 "vhdx": "vhdx", "vhd": "vpc"}


def qemu_format(disk_format: str | None) -> str:
    """QEMU's name of an image's disk format (raw for one it does not read as is)."""
    return _QEMU_FORMATS.get(disk_format or "", "raw")


def _disk(devices: ET.Element, root: RootDisk) -> None:
    disk = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type=root.format)
    ET.SubElement(disk, "source", file=root.path)
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    if root.transient:
        ET.SubElement(disk, "transient")


def power_state(libvirt_state: int) -> int:
    """The Compute API power state of a libvirt domain state."""
    return _POWER_STATES.get(libvirt_state, states.NOSTATE)


class LibvirtDriver(driver.ComputeDriver):
    """Drives one libvirt connection on behalf of ``host``."""

    def __init__(self, uri: str, host: str, storage_pool: str | None = None,
                 local_gb: int = 0, shutdown_timeout: float = 60.0,
                 poll_interval: float = 0.5, virt_type: str = "auto",
                 disks: OverlayDisks | None = None) -> None:
        self.host = host
        self.disks = disks
        self.storage_pool = storage_pool
        self.local_gb = local_gb
        self.shutdown_timeout = shutdown_timeout
        self.poll_interval = poll_interval
        try:
            self.conn = libvirt.open(uri)
        except libvirt.libvirtError as error:
            raise driver.DriverError(f"cannot connect to {uri}: {error}") from error
        self.virt_type = domain_type(self.conn.getType(), os.path.exists("/dev/kvm"),
                                     virt_type)
        self.consoles = console.ConsoleLogs()

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

    def _do(self, instance_uuid: str, action: Callable[[libvirt.virDomain], None],
            boots: bool = True) -> int:
        """Run ``action`` on the guest; its power state. A guest that was off and
        runs after it has booted, unless ``boots`` is False (it resumed instead)."""
        domain = self._lookup(instance_uuid)
        try:
            was_active = domain.isActive()
            action(domain)
            if boots and not was_active and domain.isActive():
                self._log_boot(instance_uuid, domain)
            return self._state(domain)
        except libvirt.libvirtError as error:
            raise driver.DriverError(f"instance {instance_uuid}: {error}") from error

    def _log_boot(self, instance_uuid: str, domain: libvirt.virDomain) -> None:
        """Write a boot sequence to the console log of a guest that just started."""
        _state, _max_kib, memory_kib, vcpus, _cpu_time = domain.info()
        try:
            title = domain.metadata(libvirt.VIR_DOMAIN_METADATA_TITLE, None)
        except libvirt.libvirtError:
            title = ""
        self.consoles.write(instance_uuid, console.boot_lines(
            instance_uuid, title, vcpus, memory_kib // 1024))

    def spawn(self, spec: driver.GuestSpec) -> int:
        try:
            self._lookup(spec.instance_uuid)
        except driver.InstanceNotFound:
            xml = domain_xml(spec, self.host, self.virt_type, self._root_disk(spec))
            try:
                self.conn.defineXML(xml)
            except libvirt.libvirtError as error:
                raise driver.DriverError(
                    f"cannot define instance {spec.instance_uuid}: {error}") from error
        return self._do(spec.instance_uuid, _start)

    def _root_disk(self, spec: driver.GuestSpec) -> RootDisk | None:
        """What the guest boots from: nothing without an image; for a test domain
        (which runs nothing) the cached image itself; else an overlay of its own."""
        if not spec.image_path:
            return None
        base_format = qemu_format(spec.image_format)
        if self.virt_type == "test":
            return RootDisk(spec.image_path, base_format, transient=True)
        if self.disks is None:
            raise driver.DriverError(f"instance {spec.instance_uuid}: this agent has no "
                                     "directory for guest disks")
        overlay = self.disks.create(spec.instance_uuid, spec.image_path, base_format)
        return RootDisk(str(overlay), "qcow2")

    def destroy(self, instance_uuid: str) -> bool:
        self.consoles.forget(instance_uuid)
        try:
            domain = self._lookup(instance_uuid)
        except driver.InstanceNotFound:
            # A spawn may have made the disk and failed to define the guest.
            self._remove_disk(instance_uuid)
            return False
        try:
            _remove(domain)
        except libvirt.libvirtError as error:
            raise driver.DriverError(f"instance {instance_uuid}: {error}") from error
        self._remove_disk(instance_uuid)
        return True

    def _remove_disk(self, instance_uuid: str) -> None:
        if self.disks is not None:
            self.disks.remove(instance_uuid)

    def power_on(self, instance_uuid: str) -> int:
        return self._do(instance_uuid, _start)

    def power_off(self, instance_uuid: str) -> int:
        state = self._do(instance_uuid, self._shutdown)
        self.consoles.write(instance_uuid, ["reboot: Power down"])
        return state

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
        def restart(domain: libvirt.virDomain) -> None:
            # _do logs the boot of a guest that was off; a running one restarts here.
            running = domain.isActive()
            (_hard_reboot if hard else _soft_reboot)(domain)
            if running:
                self.consoles.write(instance_uuid, ["reboot: Restarting system"])
                self._log_boot(instance_uuid, domain)

        return self._do(instance_uuid, restart)

    def pause(self, instance_uuid: str) -> int:
        return self._do(instance_uuid, _pause)

    def unpause(self, instance_uuid: str) -> int:
        return self._do(instance_uuid, _unpause)

    def suspend(self, instance_uuid: str) -> int:
        return self._do(instance_uuid, self._logged(_suspend, instance_uuid,
                                                    "PM: suspend entry (disk)"))

    def resume(self, instance_uuid: str) -> int:
        return self._do(instance_uuid, self._logged(_resume, instance_uuid,
                                                    "PM: suspend exit"), boots=False)

    def _logged(self, action: Callable[[libvirt.virDomain], None], instance_uuid: str,
                line: str) -> Callable[[libvirt.virDomain], None]:
        """``action``, writing ``line`` to the console if it changed the guest's state."""
        def run(domain: libvirt.virDomain) -> None:
            before = domain.isActive()
            action(domain)
            if domain.isActive() != before:
                self.consoles.write(instance_uuid, [line])
        return run

    def console_output(self, instance_uuid: str, length: int | None = None) -> str:
        self._lookup(instance_uuid)
        return self.consoles.tail(instance_uuid, length)

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
    # A suspended guest has a saved memory image, which must go with it.
    domain.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)


def _hard_reboot(domain: libvirt.virDomain) -> None:
    if domain.isActive():
        domain.destroy()
    if domain.hasManagedSaveImage(0):
        # A hard reboot boots afresh; it does not resume a suspended guest.
        domain.managedSaveRemove(0)
    domain.create()


def _pause(domain: libvirt.virDomain) -> None:
    if domain.state()[0] != libvirt.VIR_DOMAIN_PAUSED:
        domain.suspend()


def _unpause(domain: libvirt.virDomain) -> None:
    if domain.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
        domain.resume()


def _suspend(domain: libvirt.virDomain) -> None:
    # managedSave writes the memory to disk and stops the domain; the next create
    # starts it from that image. Already saved: nothing to do (a repeated task).
    if domain.isActive():
        domain.managedSave(0)


def _resume(domain: libvirt.virDomain) -> None:
    if not domain.isActive():
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

