"""The image service over HTTP on loopback: real API DB, real files in tmp_path."""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from oslo_config import cfg
from werkzeug import serving

from api_cell import conf as api_conf
from api_cell.image.app import create_app
from common import config

MAX_IMAGE_SIZE = 64 * 1024


def image_conf(api_db: str, store_dir: pathlib.Path, **image: object) -> cfg.ConfigOpts:
    """A private configuration of the image service."""
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    api_conf.register_opts(conf)
    conf([], project="cellar", default_config_files=[])
    conf.set_override("connection", api_db, group="api_database")
    conf.set_override("store_dir", str(store_dir), group="image")
    for name, value in image.items():
        conf.set_override(name, value, group="image")
    return conf


@pytest.fixture
def store_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """Where the service under test keeps image data."""
    return tmp_path / "images"


@pytest.fixture
def image_endpoint(api_db: str, store_dir: pathlib.Path) -> Iterator[str]:
    """URL of a running image service (threaded, so requests overlap)."""
    conf = image_conf(api_db, store_dir, max_image_size=MAX_IMAGE_SIZE, max_limit=50)
    server = serving.make_server("127.0.0.1", 0, create_app(conf), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


class ImageClient:
    """HTTP calls to the image service as one caller (a noauth2 token)."""

    def __init__(self, endpoint: str, token: str | None) -> None:
        self.endpoint = endpoint
        self.session = requests.Session()
        if token is not None:
            self.session.headers["X-Auth-Token"] = token

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.endpoint + path, timeout=30, **kwargs)

    def create(self, **body) -> dict:
        """A new image (status 201 asserted)."""
        body.setdefault("disk_format", "qcow2")
        body.setdefault("container_format", "bare")
        reply = self("POST", "/v2/images", json=body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    def upload(self, image_id: str, data) -> requests.Response:
        return self("PUT", f"/v2/images/{image_id}/file", data=data,
                    headers={"Content-Type": "application/octet-stream"})

    def patch(self, image_id: str, ops: list) -> requests.Response:
        return self("PATCH", f"/v2/images/{image_id}", json=ops, headers={
            "Content-Type": "application/openstack-images-v2.1-json-patch"})

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def caller(image_endpoint: str) -> Iterator[Callable[[str | None], ImageClient]]:
    """Factory: a client of the service with a given token (None: no token)."""
    clients: list[ImageClient] = []

    def make(token: str | None) -> ImageClient:
        clients.append(ImageClient(image_endpoint, token))
        return clients[-1]

    yield make
    for client in clients:
        client.close()
