"""Errors that a person can act on, each with the CLI exit code it maps to.

Exit codes (documented in the README and in ``tfatlas --help``):
0 success, 1 validation or query failure, 2 usage or input error.
"""


class AtlasError(Exception):
    """Base class: the message is meant for a person, never a traceback."""

    exit_code = 2


class InputError(AtlasError):
    """Bad input: a file that does not parse, an unknown format, a missing file."""

    exit_code = 2


class StoreError(AtlasError):
    """The store cannot be opened, written or reached."""

    exit_code = 2


class StoreLocked(StoreError):
    """Another process holds the embedded store for writing."""


class QueryError(AtlasError):
    """A SPARQL query or update that is malformed or fails during evaluation."""

    exit_code = 1


class ValidationFailed(AtlasError):
    """Data that violates the SHACL shapes."""

    exit_code = 1
