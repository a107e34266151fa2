"""The directory store of image data."""

import hashlib

import pytest

from api_cell.image.store import ImageStore, TooLarge, read_chunks

IMAGE_ID = "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a700"


def test_write_hashes_while_streaming_and_reads_back(tmp_path):
    store = ImageStore(tmp_path / "images")
    stored = store.write(IMAGE_ID, iter([b"abc", b"", b"def"]), max_size=6)
    assert stored.size == 6
    assert stored.checksum == hashlib.md5(b"abcdef").hexdigest()
    assert (stored.hash_algo, stored.hash_value) == (
        "sha512", hashlib.sha512(b"abcdef").hexdigest())
    assert b"".join(read_chunks(store.open(IMAGE_ID), chunk_size=4)) == b"abcdef"
    assert [p.name for p in (tmp_path / "images").iterdir()] == [IMAGE_ID]


def test_too_large_leaves_nothing_behind(tmp_path):
    store = ImageStore(tmp_path)
    store.write(IMAGE_ID, [b"old"], max_size=10)
    with pytest.raises(TooLarge):
        store.write(IMAGE_ID, iter([b"12345", b"67890", b"x"]), max_size=10)
    assert [p.name for p in tmp_path.iterdir()] == [IMAGE_ID]
    with store.open(IMAGE_ID) as data:
        assert data.read() == b"old"


def test_failed_stream_leaves_no_temporary_file(tmp_path):
    def broken():
        yield b"part"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        ImageStore(tmp_path).write(IMAGE_ID, broken(), max_size=100)
    assert list(tmp_path.iterdir()) == []


def test_missing_data_and_delete(tmp_path):
    store = ImageStore(tmp_path)
    assert store.open(IMAGE_ID) is None
    store.delete(IMAGE_ID)
    store.write(IMAGE_ID, [b"x"], max_size=1)
    store.delete(IMAGE_ID)
    assert store.open(IMAGE_ID) is None


def test_paths_are_uuids_only(tmp_path):
    with pytest.raises(ValueError):
        ImageStore(tmp_path).path("../etc/passwd")
