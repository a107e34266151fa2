"""What a new development cloud starts with: a few flavors and one image.

With an image service the image is a real one: created there and given a few KiB
of generated data, so agents download it and ``openstack image save`` works.
"""

from __future__ import annotations

import requests

FLAVORS = [
    {"name": "m1.tiny", "id": "1", "ram": 512, "vcpus": 1, "disk": 1},
    {"name": "m1.small", "id": "2", "ram": 2048, "vcpus": 1, "disk": 20},
    {"name": "m1.medium", "id": "3", "ram": 4096, "vcpus": 2, "disk": 40},
]
IMAGE = {"name": "cellar-tiny", "id": "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a700",
         "minDisk": 0, "minRam": 0}
IMAGE_SIZE = 4096


def image_data() -> bytes:
    """The seed image's bytes: a recognisable header, then zeros (not a bootable disk)."""
    header = b"cellar-tiny seed image\n"
    return header + bytes(IMAGE_SIZE - len(header))


def seed(api_url: str, image_url: str | None = None) -> None:
    """Create the seed flavors and image unless they exist.

    The image goes to the image service at ``image_url``; without one, it is only
    registered through the compute API (no data).
    """
    session = requests.Session()
    session.headers.update({"X-Auth-Token": "admin", "Content-Type": "application/json"})
    existing = {f["name"] for f in session.get(f"{api_url}/v2.1/flavors", timeout=10)
                .json()["flavors"]}
    for flavor in FLAVORS:
        if flavor["name"] not in existing:
            reply = session.post(f"{api_url}/v2.1/flavors", json={"flavor": flavor}, timeout=10)
            reply.raise_for_status()
    if image_url is not None:
        seed_image(session, image_url)
    elif session.get(f"{api_url}/v2.1/images/{IMAGE['id']}", timeout=10).status_code == 404:
        reply = session.post(f"{api_url}/v2.1/images", json={"image": IMAGE}, timeout=10)
        reply.raise_for_status()


def seed_image(session: requests.Session, image_url: str) -> None:
    """Create the public seed image in the image service and upload its data."""
    url = f"{image_url}/v2/images/{IMAGE['id']}"
    reply = session.get(url, timeout=10)
    if reply.status_code == 404:
        reply = session.post(f"{image_url}/v2/images", timeout=10, json={
            "id": IMAGE["id"], "name": IMAGE["name"], "disk_format": "raw",
            "container_format": "bare", "visibility": "public",
            "min_disk": IMAGE["minDisk"], "min_ram": IMAGE["minRam"]})
    reply.raise_for_status()
    if reply.json()["status"] == "queued":
        session.put(f"{url}/file", data=image_data(), timeout=30,
                    headers={"Content-Type": "application/octet-stream"}).raise_for_status()
