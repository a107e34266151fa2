"""Guest root disks made with the real qemu-img: overlays on the cached image."""

from __future__ import annotations

import json
import subprocess

import pytest

from compute_agent.virt import driver
from compute_agent.virt import libvirt as libvirt_driver
from compute_agent.virt.disks import OverlayDisks

INSTANCE = "4a1e7f0c-58b6-4d6f-9c2e-7d1f3b2a9e10"


def _info(path) -> dict:
    return json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(path)],
                                     check=True, capture_output=True, text=True).stdout)


@pytest.fixture
def base(tmp_path):
    image = tmp_path / "cache" / "image"
    image.parent.mkdir()
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"],
                   check=True)
    return image


def test_an_overlay_is_backed_by_the_image_and_made_once(tmp_path, base):
    disks = OverlayDisks(str(tmp_path / "instances"))
    overlay = disks.create(INSTANCE, str(base), "qcow2")
    info = _info(overlay)
    assert info["format"] == "qcow2"
    assert (info["backing-filename"], info["backing-filename-format"]) == (str(base),
                                                                          "qcow2")
    assert info["virtual-size"] == 16 * 1024**2
    written = overlay.stat().st_mtime_ns
    assert disks.create(INSTANCE, str(base), "qcow2") == overlay
    assert overlay.stat().st_mtime_ns == written          # a redelivered spawn
    disks.remove(INSTANCE)
    assert not overlay.exists()
    disks.remove(INSTANCE)                                # nothing left: no error


def test_a_raw_image_is_named_raw_in_the_overlay(tmp_path):
    image = tmp_path / "image"
    image.write_bytes(b"\0" * 1024**2)
    overlay = OverlayDisks(str(tmp_path / "instances")).create(INSTANCE, str(image), "raw")
    assert _info(overlay)["backing-filename-format"] == "raw"


def test_a_failed_overlay_leaves_no_file(tmp_path):
    disks = OverlayDisks(str(tmp_path / "instances"))
    with pytest.raises(driver.DriverError, match=INSTANCE):
        disks.create(INSTANCE, str(tmp_path / "missing"), "qcow2")
    assert list((tmp_path / "instances").iterdir()) == []


def test_real_guests_boot_from_an_overlay_test_guests_from_the_image(tmp_path, base):
    disks = OverlayDisks(str(tmp_path / "instances"))
    virt = libvirt_driver.LibvirtDriver("test:///default", "overlay-host", disks=disks)
    spec = driver.GuestSpec(INSTANCE, "g", 1, 64, 1, "img", str(base), "qcow2")
    try:
        assert virt._root_disk(spec) == libvirt_driver.RootDisk(str(base), "qcow2",
                                                                 transient=True)
        assert not disks.path(INSTANCE).exists()
        virt.virt_type = "qemu"       # as on a qemu:// connection without KVM
        assert virt._root_disk(spec) == libvirt_driver.RootDisk(
            str(disks.path(INSTANCE)), "qcow2")
        assert _info(disks.path(INSTANCE))["backing-filename"] == str(base)
        assert virt.destroy(INSTANCE) is False   # never defined: its disk still goes
        assert not disks.path(INSTANCE).exists()
    finally:
        virt.close()
