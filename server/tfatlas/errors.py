"""Errors that a person can act on, each with the CLI exit code and the HTTP status it maps to.

Exit codes (documented in the README and in ``tfatlas --help``):
0 success, 1 validation or query failure, 2 usage or input error.
HTTP statuses are read in one place, the web layer's error handler (``tfatlas.web.errors``).
"""

from __future__ import annotations


class AtlasError(Exception):
    """Base class: the message is meant for a person, never a traceback."""

    exit_code = 2
    status = 400
    headers: dict[str, str] = {}
    title: str | None = None  # short name of the error for the API; None: the HTTP reason phrase

    @property
    def message(self) -> str:
        return str(self)


class InputError(AtlasError):
    """Bad input: a file that does not parse, an unknown format, a missing file."""

    exit_code = 2
    status = 400


class StoreError(AtlasError):
    """The store cannot be opened, written or reached: the operator's problem, and temporary."""

    exit_code = 2
    status = 503
    headers = {"Retry-After": "30"}


class StoreLocked(StoreError):
    """Another process holds the embedded store for writing."""


class StoreFull(StoreError):
    """The store's disk is full: writes fail until the operator frees space (507)."""

    status = 507


class QueryError(AtlasError):
    """A SPARQL query or update that is malformed or fails during evaluation."""

    exit_code = 1
    status = 400


class ValidationFailed(AtlasError):
    """Data that violates the SHACL shapes."""

    exit_code = 1
    status = 422


class NotAcceptable(AtlasError):
    """No representation the client accepts."""

    status = 406


class StatusError(AtlasError):
    """An error whose HTTP status is decided where it is raised (the SPARQL Protocol, the endpoint)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 title: str | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.title = title


class ProtocolError(StatusError):
    """A request that breaks the SPARQL Protocol."""


class QueryFailed(StatusError):
    """A query or update that cannot be answered."""


class DeadlineExceeded(QueryFailed):
    """A query stopped at this server's deadline (504)."""


class NotFound(AtlasError):
    """Nothing at this address (an IRI the store does not know, a page after the last)."""

    status = 404
