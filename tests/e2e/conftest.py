"""Fixtures for end-to-end tests: a real ``cellar-aio`` started as a user starts it."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

AIO = pathlib.Path(sys.executable).parent / "cellar-aio"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cloud:
    """A running all-in-one cloud and a client for its two APIs."""

    def __init__(self, api_port: int, placement_port: int, state_dir: pathlib.Path) -> None:
        self.api = f"http://127.0.0.1:{api_port}/v2.1"
        self.placement = f"http://127.0.0.1:{placement_port}"
        self.state_dir = state_dir
        self.http = requests.Session()

    def compute(self, method: str, path: str, token: str = "demo:demo",
                **kwargs) -> requests.Response:
        return self.http.request(method, self.api + path, headers={"X-Auth-Token": token},
                                 timeout=30, **kwargs)

    def placement_get(self, path: str) -> dict:
        reply = self.http.get(self.placement + path, timeout=30, headers={
            "X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.28"})
        reply.raise_for_status()
        return reply.json()


@pytest.fixture(scope="session")
def aio(tmp_path_factory) -> Iterator[Cloud]:
    """cellar-aio with 2 cells x 2 hosts on the embedded defaults, on free ports."""
    state_dir = tmp_path_factory.mktemp("aio")
    api_port, placement_port, image_port = _free_port(), _free_port(), _free_port()
    output = open(state_dir / "aio.out", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(AIO), "--state-dir", str(state_dir), "--api-port", str(api_port),
         "--placement-port", str(placement_port), "--image-port", str(image_port)],
        stdout=output, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 120
        while "Cellar is ready" not in (state_dir / "aio.out").read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("cellar-aio did not start:\n" +
                                   (state_dir / "aio.out").read_text()[-5000:])
            time.sleep(0.5)
        yield Cloud(api_port, placement_port, state_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        output.close()
