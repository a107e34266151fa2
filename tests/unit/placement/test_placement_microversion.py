"""Microversion header parsing."""

import pytest

from placement import errors, microversion
from placement.microversion import Version


def _headers(value: str) -> dict[str, str]:
    return {"OpenStack-API-Version": value}


def test_missing_header_means_minimum():
    assert microversion.from_headers({}) == Version(1, 0)


def test_explicit_version():
    assert microversion.from_headers(_headers("placement 1.28")) == Version(1, 28)


def test_latest_is_maximum():
    assert microversion.from_headers(_headers("placement latest")) == microversion.MAX_VERSION


def test_other_service_is_ignored():
    assert microversion.from_headers(_headers("compute 2.50")) == Version(1, 0)


@pytest.mark.parametrize("value", ["placement 1.x", "placement 1", "placement 01.2",
                                   "placement 1.2.3", "placement é.1"])
def test_garbage_is_bad_request(value):
    with pytest.raises(errors.BadRequest):
        microversion.from_headers(_headers(value))


@pytest.mark.parametrize("value", ["placement 2.0", "placement 0.9", "placement 1.999"])
def test_out_of_range_is_not_acceptable(value):
    with pytest.raises(errors.NotAcceptable):
        microversion.from_headers(_headers(value))


def test_versions_are_contiguous():
    minors = [int(v.split(".")[1]) for v, _text in microversion.VERSIONS]
    assert minors == list(range(len(minors)))
    assert all(text for _v, text in microversion.VERSIONS)


def test_version_compares_with_tuples():
    assert Version(1, 14) >= (1, 14)
    assert str(Version(1, 39)) == "1.39"
