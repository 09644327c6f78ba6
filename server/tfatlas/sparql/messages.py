"""The messages between the server and its query workers, and the channel they travel on.

Every reply carries the generations whose snapshots the worker has released since its last reply,
so the server can delete a snapshot as soon as no worker reads it.

A message is pickled; an answer's body is not: it follows its small header as raw bytes and is
received straight into one ``bytes`` object (pickling it cost a copy on each side, and
``multiprocessing``'s ``Connection`` copied it twice more and built a selector per ``poll``).
"""

from __future__ import annotations

import pickle
import select
import socket
import struct
from dataclasses import dataclass, replace


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
    """To the zygote: fork a worker holding its copy, answering on ``slots`` threads (one connection
    each; they follow as file descriptors)."""

    slots: int = 1


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


# -- the channel -------------------------------------------------------------------------------

_FRAME = struct.Struct("!IQ")  # length of the pickled header, length of the raw body after it


class Channel:
    """One end of a socket pair carrying :mod:`.messages`; an ``Answered`` body travels unpickled.

    Reads are exact (no read-ahead), so file descriptors sent with ``socket.send_fds`` on the same
    socket arrive where expected. One poll object per channel, registered once."""

    def __init__(self, sock: socket.socket):
        self.socket = sock
        self._poller = select.poll()
        self._poller.register(sock.fileno(), select.POLLIN)

    def fileno(self) -> int:
        return self.socket.fileno()

    def send(self, message) -> None:
        body = b""
        if isinstance(message, Answered) and message.body:
            body, message = message.body, replace(message, body=b"")
        head = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        self.socket.sendall(_FRAME.pack(len(head), len(body)) + head)
        if body:
            self.socket.sendall(body)

    def poll(self, timeout: float | None = None) -> bool:
        """True when a message (or the end of the connection) is there to read."""
        return bool(self._poller.poll(None if timeout is None else max(0, int(timeout * 1000))))

    def recv(self):
        head_size, body_size = _FRAME.unpack(self._read(_FRAME.size))
        message = pickle.loads(self._read(head_size))
        if body_size:
            message = replace(message, body=self._read(body_size))
        return message

    def _read(self, size: int) -> bytes:
        data = self.socket.recv(size, socket.MSG_WAITALL)  # one allocation; the kernel fills it
        if len(data) == size:
            return data
        parts = [data]
        while size - sum(map(len, parts)) > 0:  # interrupted, or the other end closed
            if not parts[-1]:
                raise EOFError("the other end of the channel closed")
            parts.append(self.socket.recv(size - sum(map(len, parts)), socket.MSG_WAITALL))
        return b"".join(parts)

    def close(self) -> None:
        self.socket.close()
