"""Snapshots of the embedded store for the query workers, counted by the workers that read them.

A snapshot is a RocksDB checkpoint (``Store.backup``: hard links, cheap) of one generation of the
store's data, or an N-Quads dump for a store without checkpoints. It is removed once it is older
than the current generation and no worker reads it any more (RocksDB opens table files lazily, so
a worker may read an old checkpoint long after it opened it).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from ..model.formats import by_name

PREFIX = "tfatlas-query-snapshots-"


class Snapshots:
    def __init__(self, store):
        self._store = store
        self.generation = 0  # of the store's data; follows the store's write hook
        self._paths: dict[int, str] = {}  # generation -> checkpoint path
        self._holders: dict[int, int] = {}  # generation -> workers that may still read its snapshot
        self._lock = threading.Lock()
        root = getattr(store, "root", None)
        # Checkpoints are hard links: they must be on the store's file system.
        parent = str(root) if root is not None else None
        if parent is not None:
            # Only the process holding the store's lock gets here: older snapshots are leftovers
            # of a server that was killed, and their hard links would keep deleted data on disk.
            for stale in Path(parent).glob(PREFIX + "*"):
                shutil.rmtree(stale, ignore_errors=True)
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))

    def changed(self, generation: int) -> None:
        with self._lock:
            self.generation = max(self.generation, generation)

    def take(self) -> tuple[int, str]:
        """(generation, path) of a snapshot of the current data; the caller holds it until released."""
        with self._lock:
            generation = self.generation
            if generation not in self._paths:
                path = self.root / f"gen-{generation:06d}"
                oxigraph = getattr(self._store, "oxigraph", None)
                if oxigraph is not None:
                    oxigraph.flush()
                    oxigraph.backup(str(path))
                else:
                    path = path.with_suffix(".nq")
                    with open(path, "wb") as out:
                        self._store.dump(out, by_name("nquads"))
                self._paths[generation] = str(path)
            self._holders[generation] = self._holders.get(generation, 0) + 1
            return generation, self._paths[generation]

    def release(self, generation: int) -> None:
        """A worker no longer reads ``generation``'s snapshot; remove those nobody reads."""
        with self._lock:
            self._holders[generation] -= 1
            for old in [g for g in self._paths if g < self.generation and not self._holders.get(g)]:
                path = Path(self._paths.pop(old))
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
