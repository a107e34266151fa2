"""The exceptions of the placement service, each knowing its HTTP status and code.

The domain layer raises them; ``placement.app`` turns every one into the
OpenStack Placement error body in one place.
"""

from __future__ import annotations

from http import HTTPStatus


class PlacementError(Exception):
    """Base of every error placement reports to a client."""

    status = 500
    code = "placement.undefined_code"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code

    @property
    def title(self) -> str:
        """The reason phrase of the status."""
        return HTTPStatus(self.status).phrase


class BadRequest(PlacementError):
    status = 400


class QueryBadValue(BadRequest):
    code = "placement.query.bad_value"


class QueryMissingValue(BadRequest):
    code = "placement.query.missing_value"


class QueryDuplicateKey(BadRequest):
    code = "placement.query.duplicate_key"


class Unauthorized(PlacementError):
    status = 401


class Forbidden(PlacementError):
    status = 403


class NotFound(PlacementError):
    status = 404


class ProviderNotFound(NotFound):
    code = "placement.resource_provider.not_found"


class MethodNotAllowed(PlacementError):
    status = 405

    def __init__(self, detail: str, allowed: list[str]) -> None:
        super().__init__(detail)
        self.allowed = allowed


class NotAcceptable(PlacementError):
    status = 406


class Conflict(PlacementError):
    status = 409


class ConcurrentUpdate(Conflict):
    code = "placement.concurrent_update"


class DuplicateName(Conflict):
    code = "placement.duplicate_name"


class InventoryInUse(Conflict):
    code = "placement.inventory.inuse"


class ProviderInUse(Conflict):
    code = "placement.resource_provider.inuse"


class CannotDeleteParent(Conflict):
    code = "placement.resource_provider.cannot_delete_parent"


class UnsupportedMediaType(PlacementError):
    status = 415


class RetryableConflict(Exception):
    """A compare-and-swap lost a race; the transaction may be run again."""
