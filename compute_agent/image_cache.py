"""The agent's image cache: images fetched from the image service once per host.

On Spawn the agent asks the cache for the image's file. The first caller for an
image downloads it (streamed into a temporary file, hashed on the way, fsynced and
renamed into place, so a half-written file never carries an image's name); callers
for the same image wait on that image's lock and then find the file. Checksums and
size are checked against what the image service recorded before the file is kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pathlib
import tempfile
import threading
import uuid
from collections.abc import Callable
from typing import Any

import requests

from compute_agent.virt import driver

LOG = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
ACTIVE = "active"


class ImageFetchError(driver.DriverError):
    """The image could not be fetched; the message says why, for the instance fault."""


@dataclasses.dataclass(frozen=True)
class CachedImage:
    """An image's file in the cache and the disk format the image service gave it."""

    path: pathlib.Path
    disk_format: str | None


class ImageCache:
    """Images of one image service, kept as files in ``cache_dir``."""

    def __init__(self, endpoint: str, cache_dir: str | os.PathLike, token: str | None = None,
                 timeout: float = 60.0, session: requests.Session | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.cache_dir = pathlib.Path(cache_dir)
        self.timeout = timeout
        self.session = session or requests.Session()
        if token:
            self.session.headers["X-Auth-Token"] = token
        self.downloads = 0
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, image_id: str) -> threading.Lock:
        # One lock per image ever asked for: a host boots few distinct images.
        with self._guard:
            return self._locks.setdefault(image_id, threading.Lock())

    def path(self, image_id: str) -> pathlib.Path:
        """Where the cache keeps ``image_id``."""
        return self.cache_dir / image_id

    def fetch(self, image_ref: str) -> CachedImage:
        """The cached file of ``image_ref``, downloaded first if the cache lacks it."""
        image_id = _image_id(image_ref)
        # Asked every time, so an image deleted or deactivated since it was cached
        # no longer boots.
        meta = self._metadata(image_id)
        with self._lock(image_id):
            target = self.path(image_id)
            if not target.exists():
                self._download(image_id, meta, target)
            return CachedImage(target, meta.get("disk_format"))

    def _get(self, image_id: str, suffix: str = "", **kwargs: Any) -> requests.Response:
        url = f"{self.endpoint}/v2/images/{image_id}{suffix}"
        try:
            return self.session.get(url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise ImageFetchError(f"Cannot reach the image service at {self.endpoint} to "
                                  f"fetch image {image_id}: {error}") from error

    def _metadata(self, image_id: str) -> dict[str, Any]:
        reply = self._get(image_id)
        if reply.status_code == 404:
            raise ImageFetchError(f"Image {image_id} could not be found in the image "
                                  "service.")
        if reply.status_code != 200:
            raise ImageFetchError(f"The image service answered {reply.status_code} for "
                                  f"image {image_id}.")
        try:
            meta = reply.json()
        except ValueError as error:
            raise ImageFetchError(f"The image service sent no image record for "
                                  f"{image_id}.") from error
        if meta.get("status") != ACTIVE:
            raise ImageFetchError(f"Image {image_id} is {meta.get('status')}, not active.")
        return meta

    def _download(self, image_id: str, meta: dict[str, Any], target: pathlib.Path) -> None:
        reply = self._get(image_id, "/file", stream=True)
        with reply:
            if reply.status_code == 204:
                raise ImageFetchError(f"Image {image_id} has no data to boot from.")
            if reply.status_code != 200:
                raise ImageFetchError(f"Downloading image {image_id} failed: the image "
                                      f"service answered {reply.status_code}.")
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".{image_id}.", suffix=".part",
                                            dir=self.cache_dir)
            try:
                with os.fdopen(handle, "wb") as out:
                    digests = _copy(reply, out.write, meta.get("os_hash_algo"))
                    out.flush()
                    os.fsync(out.fileno())
                _verify(image_id, meta, digests)
                # mkstemp makes it private; the hypervisor may run as another user.
                os.chmod(temp, 0o644)
                os.replace(temp, target)
            except BaseException:
                os.unlink(temp)
                raise
        self.downloads += 1
        LOG.info("image %s cached at %s (%d bytes)", image_id, target, digests.size)

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()


@dataclasses.dataclass(frozen=True)
class _Digests:
    size: int
    md5: str
    multihash: str | None


def _image_id(image_ref: str) -> str:
    # The compute API accepts an image URL as imageRef; the id is its last segment.
    candidate = image_ref.rstrip("/").rsplit("/", 1)[-1]
    try:
        return str(uuid.UUID(candidate))
    except ValueError:
        raise ImageFetchError(f"Image reference {image_ref!r} names no image id.") from None


def _copy(reply: requests.Response, write: Callable[[bytes], object],
          hash_algo: str | None) -> _Digests:
    md5 = hashlib.md5(usedforsecurity=False)
    multihash = None
    if hash_algo in hashlib.algorithms_available:
        multihash = hashlib.new(hash_algo)
    size = 0
    try:
        for chunk in reply.iter_content(CHUNK_SIZE):
            size += len(chunk)
            md5.update(chunk)
            if multihash is not None:
                multihash.update(chunk)
            write(chunk)
    except requests.RequestException as error:
        raise ImageFetchError(f"Downloading image data was cut: {error}") from error
    return _Digests(size, md5.hexdigest(), multihash.hexdigest() if multihash else None)


def _verify(image_id: str, meta: dict[str, Any], digests: _Digests) -> None:
    """ImageFetchError unless the data matches the image service's record."""
    if meta.get("size") is not None and digests.size != meta["size"]:
        raise ImageFetchError(f"Image {image_id}: downloaded {digests.size} bytes, the "
                              f"image service recorded {meta['size']}.")
    if meta.get("checksum") and digests.md5 != meta["checksum"]:
        raise ImageFetchError(f"Image {image_id}: checksum mismatch (md5 {digests.md5}, "
                              f"expected {meta['checksum']}).")
    if meta.get("os_hash_value") and digests.multihash not in (None, meta["os_hash_value"]):
        raise ImageFetchError(f"Image {image_id}: {meta.get('os_hash_algo')} mismatch.")


class ImageBackedDriver:
    """A virt driver whose guests boot from images fetched through an ImageCache.

    Every operation but spawn goes straight to the wrapped driver.
    """

    def __init__(self, virt: driver.ComputeDriver, cache: ImageCache) -> None:
        self.virt = virt
        self.cache = cache

    def spawn(self, spec: driver.GuestSpec) -> int:
        """Fetch the guest's image (unless cached), then spawn it on that disk."""
        if spec.image_ref:
            image = self.cache.fetch(spec.image_ref)
            spec = dataclasses.replace(spec, image_path=str(image.path),
                                       image_format=image.disk_format)
        return self.virt.spawn(spec)

    def close(self) -> None:
        """Release the hypervisor and the image service session."""
        self.cache.close()
        self.virt.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.virt, name)
