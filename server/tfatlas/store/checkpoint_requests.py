"""Read-only copies of a store that another process holds open: asked for through files.

The process that holds the store (``tfatlas serve``) owns its RocksDB; opening that database from
a second process while the first writes is undefined behaviour (pyoxigraph's docs), and this
pyoxigraph has no secondary mode. So a command that only reads (publish, stats, dump, query,
backup) asks the holder for a checkpoint (hard links, cheap, exactly one write generation):

    <store>/readers/<name>.request   the reader creates it
    <store>/readers/<name>/          the holder makes the checkpoint there,
    <store>/readers/<name>.ready     then says so (or <name>.failed with the reason)

The reader holds a shared lock on ``<name>.ready`` while it reads and removes the three when
done; the holder removes leftovers of readers that went away (no lock held).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Callable

READERS = "readers"
POLL_SECONDS = 0.1
LEFTOVER_SECONDS = 60.0


def _locked_by_someone(path: Path) -> bool:
    try:
        with open(path, "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _remove(directory: Path, name: str) -> None:
    shutil.rmtree(directory / name, ignore_errors=True)
    for suffix in (".request", ".ready", ".failed"):
        (directory / (name + suffix)).unlink(missing_ok=True)


class RequestAnswerer:
    """The holder's side: a thread that answers readers' requests with ``checkpoint(path)``."""

    def __init__(self, root: Path, checkpoint: Callable[[Path], int]):
        self._dir = Path(root) / READERS
        self._checkpoint = checkpoint
        self._stop = threading.Event()
        self._clean(older_than=0.0)
        self._thread = threading.Thread(target=self._run, name="tfatlas-reader-checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_clean = time.monotonic()
        while not self._stop.wait(POLL_SECONDS):
            try:
                requests = sorted(self._dir.glob("*.request")) if self._dir.is_dir() else []
            except OSError:
                continue
            for request in requests:
                self._answer(request.name[: -len(".request")])
            if time.monotonic() - last_clean > LEFTOVER_SECONDS:
                self._clean(older_than=LEFTOVER_SECONDS)
                last_clean = time.monotonic()

    def _answer(self, name: str) -> None:
        target = self._dir / name
        try:
            shutil.rmtree(target, ignore_errors=True)
            generation = self._checkpoint(target)
            (self._dir / (name + ".ready")).write_text(f"{generation}\n")
        except Exception as exc:  # the reader gets the reason instead of waiting for nothing
            shutil.rmtree(target, ignore_errors=True)
            (self._dir / (name + ".failed")).write_text(f"{exc}\n")
        (self._dir / (name + ".request")).unlink(missing_ok=True)

    def _clean(self, older_than: float) -> None:
        if not self._dir.is_dir():
            return
        now = time.time()
        for ready in self._dir.glob("*.ready"):
            try:
                age = now - ready.stat().st_mtime
            except OSError:
                continue
            if age >= older_than and not _locked_by_someone(ready):
                _remove(self._dir, ready.name[: -len(".ready")])
        for failed in self._dir.glob("*.failed"):
            if now - failed.stat().st_mtime >= max(older_than, 1.0):
                failed.unlink(missing_ok=True)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


class Checkpoint:
    """The reader's side: a checkpoint made by the holder, kept while this object is open."""

    def __init__(self, root: Path, timeout: float):
        directory = Path(root) / READERS
        directory.mkdir(exist_ok=True)
        self._dir = directory
        self.name = f"{os.getpid()}-{secrets.token_hex(4)}"
        (directory / (self.name + ".request")).touch()
        ready, failed = directory / (self.name + ".ready"), directory / (self.name + ".failed")
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if failed.exists():
                reason = failed.read_text().strip()
                _remove(directory, self.name)
                raise OSError(f"the process holding the store could not make a read-only copy: {reason}")
            if time.monotonic() > deadline:
                _remove(directory, self.name)
                raise TimeoutError(f"the process holding the store did not make a read-only copy in {timeout:g} s")
            time.sleep(POLL_SECONDS / 2)
        self._lock = open(ready, "r")
        fcntl.flock(self._lock, fcntl.LOCK_SH)
        self.generation = int(ready.read_text().strip() or 0)
        self.path = directory / self.name

    def close(self) -> None:
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            _remove(self._dir, self.name)
