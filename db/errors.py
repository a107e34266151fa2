"""Errors the access layers of the api and cell schemas raise."""


class DBError(Exception):
    """Base of the access-layer errors."""


class NotFound(DBError):
    """The row asked for does not exist."""


class Duplicate(DBError):
    """A row with the same unique key exists already."""


class Conflict(DBError):
    """The row changed under the caller (a compare-and-swap lost)."""
