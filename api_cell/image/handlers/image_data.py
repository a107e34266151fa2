"""/v2/images/{image_id}/file: an image's data, streamed both ways."""

from __future__ import annotations

import flask

from api_cell.image import domain, errors, request, store

OCTET_STREAM = "application/octet-stream"


def upload(image_id: str) -> tuple[str, int]:
    """PUT /v2/images/{image_id}/file"""
    if request.media_type() != OCTET_STREAM:
        raise errors.UnsupportedMediaType(f"Content-Type must be {OCTET_STREAM}.")
    domain.upload(request.backends(), request.context(), image_id, request.body_chunks(),
                  flask.request.content_length)
    return "", 204


def download(image_id: str) -> flask.Response | tuple[str, int]:
    """GET /v2/images/{image_id}/file: 204 for an image without data."""
    record, data = domain.download(request.backends(), request.context(), image_id)
    if data is None:
        return "", 204
    headers = {"Content-Length": str(record.size), "Content-MD5": record.checksum,
               "Content-Type": OCTET_STREAM}
    return flask.Response(store.read_chunks(data), headers=headers, direct_passthrough=True)
