"""The embedded store for a command that only reads while another process (``tfatlas serve``)
holds it: a checkpoint of the current generation, made by the holder, opened read-only."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from ..errors import StoreError, StoreLocked
from .checkpoint_requests import Checkpoint
from .embedded import EmbeddedStore


class ReadOnlyStore(EmbeddedStore):
    """Reads (query, dump, stats, graphs, checkpoint) of a held store; every write is refused."""

    def __init__(self, root: str | Path, base_iri: str, *, timeout: float = 60.0):
        self.root = Path(root)
        self.base_iri = base_iri
        try:
            self._checkpoint = Checkpoint(self.root, timeout)
        except (OSError, TimeoutError) as exc:
            raise StoreError(f"the store at {self.root} is in use by another process, and {exc}") from None
        self._write_generation = self._checkpoint.generation
        try:
            self._store = ox.Store.read_only(str(self._checkpoint.path))
        except OSError as exc:
            self._checkpoint.close()
            raise StoreError(f"cannot open the read-only copy of {self.root}: {exc}") from None

    def _refuse(self, *_args, **_kwargs):
        raise StoreLocked(
            f"the store at {self.root} is in use by another process (a running `tfatlas serve`?); "
            "it can be read meanwhile, not written. Stop it, or send the change through its "
            "SPARQL endpoint or Graph Store Protocol.")

    load = update = drop_graph = _refuse

    def checkpoint(self, path) -> int:
        # A checkpoint of a read-only database is not possible: its files are copied instead
        # (hard links where they can be; nobody writes them).
        shutil.copytree(self._checkpoint.path, path, copy_function=_link_or_copy)
        return self._write_generation

    def close(self) -> None:
        self._store = None
        self._checkpoint.close()


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
