"""Errors of the compute API, each knowing its HTTP status and Nova's fault name.

Domain code raises these; ``app.py`` turns any of them into a response in one place,
with Nova's body ``{"<faultName>": {"code": <status>, "message": "..."}}``.
"""

from __future__ import annotations


class APIError(Exception):
    """Base of every error the API reports to its caller."""

    code = 500
    fault = "computeFault"

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def body(self) -> dict[str, dict[str, object]]:
        """The JSON body Nova clients parse."""
        return {self.fault: {"code": self.code, "message": self.message}}


class BadRequest(APIError):
    code = 400
    fault = "badRequest"


class Unauthorized(APIError):
    code = 401
    fault = "unauthorized"


class Forbidden(APIError):
    code = 403
    fault = "forbidden"


class NotFound(APIError):
    code = 404
    fault = "itemNotFound"


class MethodNotAllowed(APIError):
    code = 405
    fault = "badMethod"


class NotAcceptable(APIError):
    """An unsupported microversion; Nova has no special fault name for 406."""

    code = 406
    fault = "computeFault"


class Conflict(APIError):
    code = 409
    fault = "conflictingRequest"


class ServiceUnavailable(APIError):
    """A backend (a cell database, the task queue) did not answer; try again later."""

    code = 503
    fault = "serviceUnavailable"


class CellUnavailable(ServiceUnavailable):
    """The cell that holds the resource did not answer in time."""
