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
class Apply:
    """Bring the copy from ``generation - 1`` to ``generation``: empty the ``cleared`` graphs ("" the
    default graph), remove then add these quads (N-Quads; blank nodes of ``added`` are new ones)."""

    generation: int
    removed: bytes
    added: bytes
    cleared: tuple[str, ...] = ()


@dataclass(frozen=True)
class Replay:
    """Bring the copy from ``generation - 1`` to ``generation`` by running the committed update."""

    generation: int
    text: str
    base_iri: str | None


@dataclass(frozen=True)
class Evaluate:
    task: QueryTask


@dataclass(frozen=True)
class StatusRequest:
    pass


@dataclass(frozen=True)
class Fork:
    """To the zygote: fork a worker holding its copy (its connection follows as a file descriptor)."""


# -- worker to server ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Loaded:
    generation: int
    released: tuple[int, ...] = ()


@dataclass(frozen=True)
class Applied:
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


@dataclass(frozen=True)
class Forked:
    pid: int
    generation: int
    released: tuple[int, ...] = ()


Request = Load | Apply | Replay | Evaluate | StatusRequest | Fork
Reply = Loaded | Applied | Answered | Failed | Status | Forked
