"""What a new development cloud starts with: a few flavors and one image."""

from __future__ import annotations

import requests

FLAVORS = [
    {"name": "m1.tiny", "id": "1", "ram": 512, "vcpus": 1, "disk": 1},
    {"name": "m1.small", "id": "2", "ram": 2048, "vcpus": 1, "disk": 20},
    {"name": "m1.medium", "id": "3", "ram": 4096, "vcpus": 2, "disk": 40},
]
IMAGE = {"name": "cellar-tiny", "id": "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a700",
         "minDisk": 0, "minRam": 0}


def seed(api_url: str) -> None:
    """Create the seed flavors and image through the compute API unless they exist."""
    session = requests.Session()
    session.headers.update({"X-Auth-Token": "admin", "Content-Type": "application/json"})
    existing = {f["name"] for f in session.get(f"{api_url}/v2.1/flavors", timeout=10)
                .json()["flavors"]}
    for flavor in FLAVORS:
        if flavor["name"] not in existing:
            reply = session.post(f"{api_url}/v2.1/flavors", json={"flavor": flavor}, timeout=10)
            reply.raise_for_status()
    if session.get(f"{api_url}/v2.1/images/{IMAGE['id']}", timeout=10).status_code == 404:
        reply = session.post(f"{api_url}/v2.1/images", json={"image": IMAGE}, timeout=10)
        reply.raise_for_status()
