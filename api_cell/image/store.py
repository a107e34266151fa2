"""Image data as files in one directory: ``<store_dir>/<image uuid>``.

An upload streams into a temporary file in the same directory, hashing as it goes,
is fsynced and renamed into place: a reader never sees a partial image, and no image
is ever held in memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import tempfile
import uuid
from collections.abc import Iterable
from typing import BinaryIO

CHUNK_SIZE = 64 * 1024
HASH_ALGO = "sha512"


class TooLarge(Exception):
    """The data exceeded the size the caller allowed."""


@dataclasses.dataclass(frozen=True)
class StoredData:
    """What an upload stored: its size and digests (hex)."""

    size: int
    checksum: str
    hash_algo: str
    hash_value: str


class ImageStore:
    """The directory holding every image's data."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = pathlib.Path(root)

    def path(self, image_id: str) -> pathlib.Path:
        """Where the data of ``image_id`` lives; ValueError unless it is a uuid."""
        return self.root / str(uuid.UUID(image_id))

    def write(self, image_id: str, chunks: Iterable[bytes], max_size: int) -> StoredData:
        """Store ``chunks`` as the data of ``image_id``, replacing any earlier data.

        TooLarge (and nothing stored) once more than ``max_size`` bytes arrive.
        """
        target = self.path(image_id)
        self.root.mkdir(parents=True, exist_ok=True)
        md5, multihash, size = hashlib.md5(usedforsecurity=False), hashlib.new(HASH_ALGO), 0
        handle, temp = tempfile.mkstemp(prefix=f".{image_id}.", suffix=".part", dir=self.root)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge(f"image data exceeds {max_size} bytes")
                    md5.update(chunk)
                    multihash.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
        self._sync_directory()
        return StoredData(size, md5.hexdigest(), HASH_ALGO, multihash.hexdigest())

    def _sync_directory(self) -> None:
        # The rename is durable only once the directory entry is on disk too.
        descriptor = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def open(self, image_id: str) -> BinaryIO | None:
        """The data of ``image_id`` opened for reading, or None if there is none."""
        try:
            return open(self.path(image_id), "rb")
        except FileNotFoundError:
            return None

    def delete(self, image_id: str) -> None:
        """Forget the data of ``image_id`` (nothing happens if there is none)."""
        self.path(image_id).unlink(missing_ok=True)


def read_chunks(handle: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterable[bytes]:
    """The contents of ``handle`` in chunks; closes it at the end."""
    with handle:
        while chunk := handle.read(chunk_size):
            yield chunk
