"""Errors of the image service, each with its HTTP status; app.py maps them to responses.

Bodies follow Glance (webob's JSON error shape): ``code`` ("404 Not Found"),
``title`` and ``message``.
"""

from __future__ import annotations


class ImageAPIError(Exception):
    """Base of the errors the image API answers; 500 unless a subclass says otherwise."""

    code = 500
    title = "Internal Server Error"

    def __init__(self, message: str, code: int | None = None,
                 title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title

    def body(self) -> dict[str, str]:
        """The JSON error document."""
        return {"code": f"{self.code} {self.title}", "title": self.title,
                "message": self.message}


class BadRequest(ImageAPIError):
    code = 400
    title = "Bad Request"


class Unauthorized(ImageAPIError):
    code = 401
    title = "Unauthorized"


class Forbidden(ImageAPIError):
    code = 403
    title = "Forbidden"


class NotFound(ImageAPIError):
    code = 404
    title = "Not Found"


class MethodNotAllowed(ImageAPIError):
    code = 405
    title = "Method Not Allowed"


class Conflict(ImageAPIError):
    code = 409
    title = "Conflict"


class Gone(ImageAPIError):
    code = 410
    title = "Gone"


class RequestEntityTooLarge(ImageAPIError):
    code = 413
    title = "Request Entity Too Large"


class UnsupportedMediaType(ImageAPIError):
    code = 415
    title = "Unsupported Media Type"
