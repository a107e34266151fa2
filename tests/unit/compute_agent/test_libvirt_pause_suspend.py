"""Pause, suspend and the console log of the libvirt driver on test:///default."""

import uuid

import libvirt
import pytest

from common import states
from compute_agent.virt import driver
from compute_agent.virt import libvirt as libvirt_driver


@pytest.fixture
def virt():
    conn = libvirt_driver.LibvirtDriver("test:///default", f"host-{uuid.uuid4().hex[:8]}",
                                        shutdown_timeout=0.2, poll_interval=0.01)
    yield conn
    for instance_uuid in conn.power_states():
        conn.destroy(instance_uuid)
    conn.close()


@pytest.fixture
def guest(virt) -> str:
    instance_uuid = str(uuid.uuid4())
    virt.spawn(driver.GuestSpec(instance_uuid=instance_uuid, name="web", vcpus=1,
                                memory_mb=64, root_gb=1, image_ref="img"))
    return instance_uuid


def _domain(virt, instance_uuid):
    return virt.conn.lookupByName(libvirt_driver.domain_name(instance_uuid))


def test_pause_and_unpause_are_idempotent(virt, guest):
    assert virt.pause(guest) == states.PAUSED
    assert virt.pause(guest) == states.PAUSED
    assert _domain(virt, guest).state()[0] == libvirt.VIR_DOMAIN_PAUSED
    assert virt.unpause(guest) == states.RUNNING
    assert virt.unpause(guest) == states.RUNNING


def test_suspend_saves_the_guest_and_resume_restores_it(virt, guest):
    assert virt.suspend(guest) == states.SHUTDOWN
    assert virt.suspend(guest) == states.SHUTDOWN
    assert _domain(virt, guest).hasManagedSaveImage(0) == 1
    assert virt.resume(guest) == states.RUNNING
    assert _domain(virt, guest).hasManagedSaveImage(0) == 0
    log = virt.console_output(guest)
    assert log.count("PM: suspend entry") == 1 and log.count("PM: suspend exit") == 1
    # A resumed guest did not boot again.
    assert log.count("login:") == 1


def test_suspended_guest_is_destroyed_with_its_saved_image(virt, guest):
    virt.suspend(guest)
    assert virt.destroy(guest) is True
    assert virt.power_states([guest]) == {}


def test_hard_reboot_of_a_suspended_guest_boots_afresh(virt, guest):
    virt.suspend(guest)
    assert virt.reboot(guest, hard=True) == states.RUNNING
    assert _domain(virt, guest).hasManagedSaveImage(0) == 0
    assert virt.console_output(guest).count("login:") == 2


def test_console_output_tail_and_missing_guest(virt, guest):
    assert virt.console_output(guest, 1) == "web login: \n"
    virt.power_off(guest)
    assert virt.console_output(guest, 1) == "reboot: Power down\n"
    with pytest.raises(driver.InstanceNotFound):
        virt.console_output(str(uuid.uuid4()))
