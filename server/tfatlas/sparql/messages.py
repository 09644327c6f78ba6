"""The messages between the server and its query workers (pickled over a socket pair).

Every reply carries the generations whose snapshots the worker has released since its last reply,
so the server can delete a snapshot as soon as no worker reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueryTask:
    """One query, with everything needed to evaluate and serialise it."""

    text: str
    base_iri: str | None
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    accept: str | None
    format: str | None
    cap: int


# -- server to worker ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Load:
    """Answer from this snapshot (a checkpoint directory or an N-Quads dump) from now on."""

    path: str
    generation: int


@dataclass(frozen=True)
class Evaluate:
    task: QueryTask


@dataclass(frozen=True)
class StatusRequest:
    pass


# -- worker to server ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Loaded:
    generation: int
    released: tuple[int, ...] = ()


@dataclass(frozen=True)
class Answered:
    body: bytes
    content_type: str
    rows: int
    released: tuple[int, ...] = ()


@dataclass(frozen=True)
class Failed:
    status: int
    message: str
    released: tuple[int, ...] = ()


@dataclass(frozen=True)
class Status:
    generation: int
    in_memory: bool
    released: tuple[int, ...] = ()


Request = Load | Evaluate | StatusRequest
Reply = Loaded | Answered | Failed | Status
