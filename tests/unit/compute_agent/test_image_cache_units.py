"""The agent's image cache, piece by piece: references, verification, disk XML.

The HTTP side is a fake session (this is a unit test of the cache alone); the
functional test in tests/functional/image/ runs it against the real image service.
"""

import hashlib
import uuid
import xml.etree.ElementTree as ET
from unittest import mock

import pytest
import requests

from compute_agent import image_cache
from compute_agent.image_cache import ImageBackedDriver, ImageCache, ImageFetchError
from compute_agent.virt import driver
from compute_agent.virt import libvirt as libvirt_driver

IMAGE_ID = "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a700"
DATA = b"image bytes" * 100


def _meta(**overrides):
    meta = {"id": IMAGE_ID, "status": "active", "size": len(DATA), "disk_format": "raw",
            "checksum": hashlib.md5(DATA).hexdigest(), "os_hash_algo": "sha512",
            "os_hash_value": hashlib.sha512(DATA).hexdigest()}
    meta.update(overrides)
    return meta


def _reply(status: int, json_body=None, content: bytes = b"") -> mock.Mock:
    reply = mock.MagicMock(status_code=status)
    reply.json.return_value = json_body
    reply.iter_content.return_value = iter([content[:7], content[7:]])
    reply.__enter__.return_value = reply
    return reply


def _cache(tmp_path, *replies) -> tuple[ImageCache, mock.Mock]:
    session = mock.Mock(headers={})
    session.get.side_effect = list(replies)
    return ImageCache("http://images/", tmp_path, token="t", session=session), session


def test_fetch_downloads_verifies_and_keeps(tmp_path):
    cache, session = _cache(tmp_path, _reply(200, _meta()), _reply(200, content=DATA),
                            _reply(200, _meta()))
    first = cache.fetch(f"http://images/v2/images/{IMAGE_ID}")
    assert first.path.read_bytes() == DATA and first.disk_format == "raw"
    assert cache.fetch(IMAGE_ID).path == first.path
    assert cache.downloads == 1
    assert [c.args[0] for c in session.get.call_args_list] == [
        f"http://images/v2/images/{IMAGE_ID}", f"http://images/v2/images/{IMAGE_ID}/file",
        f"http://images/v2/images/{IMAGE_ID}"]
    assert session.headers["X-Auth-Token"] == "t"


@pytest.mark.parametrize("meta, message", [
    (_meta(size=1), "downloaded 1100 bytes, the image service recorded 1"),
    (_meta(checksum="0" * 32), "checksum mismatch"),
    (_meta(os_hash_value="0" * 128), "sha512 mismatch"),
])
def test_corrupt_download_is_refused_and_not_kept(tmp_path, meta, message):
    cache, _session = _cache(tmp_path, _reply(200, meta), _reply(200, content=DATA))
    with pytest.raises(ImageFetchError, match=message):
        cache.fetch(IMAGE_ID)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("replies, message", [
    ([_reply(404)], f"Image {IMAGE_ID} could not be found in the image service."),
    ([_reply(500)], "answered 500"),
    ([_reply(200, _meta(status="saving"))], "is saving, not active"),
    ([_reply(200, _meta()), _reply(204)], "has no data to boot from"),
    ([_reply(200, _meta()), _reply(403)], "Downloading image .* answered 403"),
    ([requests.ConnectionError("refused")], "Cannot reach the image service"),
])
def test_fetch_failures_say_why(tmp_path, replies, message):
    cache, _session = _cache(tmp_path, *replies)
    with pytest.raises(ImageFetchError, match=message):
        cache.fetch(IMAGE_ID)


def test_image_reference_must_name_an_id(tmp_path):
    cache, session = _cache(tmp_path)
    with pytest.raises(ImageFetchError, match="names no image id"):
        cache.fetch("cirros")
    session.get.assert_not_called()


def test_fetch_errors_are_driver_errors():
    # The servicer turns DriverError into the message the conductor records as fault.
    assert issubclass(ImageFetchError, driver.DriverError)


def _spec(**overrides) -> driver.GuestSpec:
    values = {"instance_uuid": str(uuid.uuid4()), "name": "vm", "vcpus": 1,
              "memory_mb": 64, "root_gb": 1, "image_ref": IMAGE_ID}
    values.update(overrides)
    return driver.GuestSpec(**values)


def test_backed_driver_passes_the_cached_file(tmp_path):
    virt = mock.Mock()
    cache = mock.Mock()
    cache.fetch.return_value = image_cache.CachedImage(tmp_path / IMAGE_ID, "qcow2")
    backed = ImageBackedDriver(virt, cache)
    backed.spawn(_spec())
    spawned = virt.spawn.call_args.args[0]
    assert (spawned.image_path, spawned.image_format) == (str(tmp_path / IMAGE_ID), "qcow2")
    backed.spawn(_spec(image_ref=""))
    assert virt.spawn.call_args.args[0].image_path is None
    assert cache.fetch.call_count == 1
    assert backed.power_states is virt.power_states


def test_domain_xml_boots_from_its_root_disk():
    root = libvirt_driver.RootDisk("/cache/img", libvirt_driver.qemu_format("vhd"),
                                   transient=True)
    disk = ET.fromstring(libvirt_driver.domain_xml(_spec(), "h1", "test", root)).find(
        "devices/disk")
    assert disk.find("source").get("file") == "/cache/img"
    assert disk.find("driver").get("type") == "vpc"
    assert disk.find("transient") is not None
    overlay = libvirt_driver.RootDisk("/disks/u.qcow2", "qcow2")
    disk = ET.fromstring(libvirt_driver.domain_xml(_spec(), "h1", "kvm", overlay)).find(
        "devices/disk")
    assert (disk.find("source").get("file"), disk.find("transient")) == (
        "/disks/u.qcow2", None)
    assert ET.fromstring(libvirt_driver.domain_xml(_spec(), "h1", "test")).find(
        "devices") is None
