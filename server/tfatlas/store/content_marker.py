"""A name for what an embedded store holds, read without reading its data.

``<store>/CONTENT`` holds ``<token> <writes>``: the content a session (``token``, random) left
after its ``writes`` committed writes, closed cleanly; or ``<token> writing`` from the first write
of a session until its clean close. The first write of a session writes its fresh token as
"writing" (fsync'd before that write commits), so a session killed midway, even by a power
failure, never leaves a name that another content already had; an open that finds "writing"
(or no file: a store older than this) names the content it finds afresh as ``<new token> 0``.

Equal markers therefore mean equal content, across processes: the text index records the marker
of the content it reflects and reads no offer at start when it is the store's (search/index.py).
Only writes through ``EmbeddedStore`` are seen; nothing else may write a store's generations.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

CONTENT = "CONTENT"
WRITING = "writing"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ContentMarker:
    """The marker of one open embedded store (the process holding its lock)."""

    def __init__(self, root: Path):
        self.path = Path(root) / CONTENT
        self._token: str | None = None  # this session's, from its first write on
        try:
            words = self.path.read_text().split()
        except FileNotFoundError:
            words = []
        if len(words) == 2 and words[1].isdigit():
            self.opened = " ".join(words)
        else:
            self.opened = f"{secrets.token_hex(8)} 0"
            _write(self.path, self.opened)

    def at(self, generation: int) -> str | None:
        """The marker of the content after this session's write ``generation`` (0: as opened)."""
        if generation == 0:
            return self.opened
        return f"{self._token} {generation}" if self._token is not None else None

    def before_write(self) -> None:
        """Called before each write commits (under the store's write lock); only the first one
        of a session writes anything."""
        if self._token is None:
            token = secrets.token_hex(8)
            _write(self.path, f"{token} {WRITING}")
            self._token = token

    def close(self, generation: int) -> None:
        """A clean close after ``generation`` committed writes: the content is named again."""
        if self._token is not None:
            _write(self.path, f"{self._token} {generation}")
