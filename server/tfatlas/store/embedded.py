"""The embedded store: Oxigraph (RocksDB) on disk.

Layout of a store directory::

    <store>/ACTIVE        name of the generation that holds the data (replaced atomically)
    <store>/gen-000001/   an Oxigraph database
    <store>/lock          held (flock) by the one process that has the store open
    <store>/CONTENT       a name for the content, changed by every session that writes (content_marker)
    <store>/readers/      checkpoints for commands that read while it is held (checkpoint_requests)

A load writes into a fresh generation made with ``Store.backup`` (a RocksDB checkpoint of
hard links, cheap even for large stores), bulk-loads the files there and only then switches
``ACTIVE`` with an atomic rename. A load that fails, or a process killed midway, leaves the
previous generation untouched; leftovers are removed the next time the store is opened.
This gives all-or-nothing loads at the speed of Oxigraph's bulk loader, which is not
transactional on its own.

A write that fails for the storage itself (a full disk) is a server fault (StoreFull, 507;
StoreError, 503), remembered in ``fault()``. RocksDB keeps such a background error until the
database is closed, so every later write would fail even after space is freed: the next write
(or health check) with space free again reopens the database first, and writes work again
without a restart. Reads go on meanwhile.
"""

from __future__ import annotations

import fcntl
import gc
import gzip
import os
import shutil
import threading
import time
from pathlib import Path
from typing import BinaryIO, Iterable

import pyoxigraph as ox

from ..errors import InputError, QueryError, StoreError, StoreLocked
from ..model.rdf_safety import check_file, store_problem, update_problem
from ..sparql.guard import problem as guard_problem
from ..sparql.stack import on_large_stack
from ..model.formats import Format
from ..vocab import meta_graph
from . import bounded_update
from .checkpoint_requests import RequestAnswerer
from .content_marker import ContentMarker
from .base import (AtlasStore, Delta, LoadReport, Progress, Source, is_storage_failure, provenance_update,
                   storage_error)

ACTIVE = "ACTIVE"
#: Free bytes needed before writes are tried again after a full disk (RocksDB's log and a flush).
MIN_FREE_BYTES = 8 << 20


_LOADING = ("the load", "das Laden")


def _triples_in(store: ox.Store, graph: str) -> int:
    return int(next(iter(store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")))["n"].value)


class _CountingReader:
    """A binary reader that reports bytes read, for progress bars.

    The statements stay those counted before: in Turtle, JSON-LD or RDF/XML a line is no statement
    (a file of one prefix line and one triple was reported as "2 statements").
    """

    def __init__(self, raw: BinaryIO, progress: Progress | None, offset: tuple[int, int]):
        self._raw = raw
        self._progress = progress
        self.bytes, self.lines = offset
        self.double_angle, self._last = False, b""

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size if size and size > 0 else 1 << 20)
        self.bytes += len(chunk)
        # "<<" opens an RDF 1.2 triple term, which the store would take but could not publish
        self.double_angle = self.double_angle or b"<<" in chunk or (self._last == b"<" and chunk[:1] == b"<")
        self._last = chunk[-1:]
        if self._progress is not None:
            self._progress(self.bytes, self.lines)
        return chunk

    def readable(self) -> bool:
        return True


# Oxigraph's bulk loader holds a whole batch in memory (about 1 GB for 1M triples). Files of a
# line-based format are therefore given to it in windows of whole lines, each window one bulk
# load of a bytes object (parsed natively; on 1M generated triples 64 MiB windows took less CPU
# and wall time than one load of the file by path, 32 MiB windows more): peak memory stays near
# a window's worth (about 530 MiB for 64 MiB windows, 900 MiB for 128).
WINDOW_BYTES = 64 << 20
#: Reads of the one parse that follows a blank node (see _LineBlocks.blank_nodes), and the least
#: window (tests make windows tiny).
BLOCK_BYTES = 1 << 20
_LINE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)
# The parsers that accept a literal of a language datatype without a tag (model/rdf_safety.py).
_STATES_BAD_LITERALS = (ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD)


class _LineBlocks:
    """Blocks of whole lines read from a binary file, counting bytes and lines."""

    def __init__(self, raw: BinaryIO, offset: tuple[int, int]):
        self._raw = raw
        self.bytes, self.lines = offset
        self.eof = False
        # Blank node labels are scoped to one parse; once one appears, the rest of the file must
        # go into one parse so that `_:b1` stays one node (earlier windows had none).
        self.blank_nodes = False
        self.double_angle = False
        self.progress: Progress | None = None  # called per block while streaming

    def next(self, size: int = BLOCK_BYTES) -> bytes:
        """About ``size`` bytes ending with a whole line (b"" at the end)."""
        if self.eof:
            return b""
        block = self._raw.read(size)
        if block and not block.endswith(b"\n"):
            block += self._raw.readline()  # the rest of the last line: one read and one copy
        if not block:
            self.eof = True
            return b""
        self.bytes += len(block)
        self.lines += block.count(b"\n")
        if not self.blank_nodes and b"_:" in block:
            self.blank_nodes = True
        self.double_angle = self.double_angle or b"<<" in block  # a triple term (one line each)
        if self.progress is not None:
            self.progress(self.bytes, self.lines)
        return block


class _Rest:
    """A reader over ``first`` and then every remaining block (the rest of the file in one parse)."""

    def __init__(self, first: bytes, blocks: _LineBlocks):
        self._blocks = blocks
        self._block = first
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        if self._pos >= len(self._block):
            self._block, self._pos = self._blocks.next(), 0
            if not self._block:
                return b""
        end = len(self._block) if size is None or size < 0 else min(len(self._block), self._pos + size)
        out = self._block[self._pos:end]
        self._pos = end
        return out

    def readable(self) -> bool:
        return True


def _refuse_unpublishable(store: ox.Store, source: Source) -> None:
    """InputError when the staged load holds a term the store could not dump or publish."""
    if (bad := store_problem(store, None if source.format.has_datasets else source.graph)) is not None:
        raise InputError(f"{source.path}: {bad}")


def _open_source(path: Path) -> BinaryIO:
    try:
        return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an RDF file") from None
    except PermissionError:
        raise InputError(f"{path}: not readable (permission denied)") from None


def syntax_message(path: Path | str, exc: SyntaxError) -> str:
    """'file:line:column: message' from an Oxigraph parser error."""
    where = f"{path}"
    if exc.lineno is not None:
        where += f":{exc.lineno}"
        if exc.offset is not None:
            where += f":{exc.offset}"
    return f"{where}: {exc.msg if hasattr(exc, 'msg') else exc}"


def _term(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def graph_terms(graphs: Iterable[str] | None):
    if graphs is None:
        return None
    return [ox.DefaultGraph() if g == "" else ox.NamedNode(g) for g in graphs]


class EmbeddedStore(AtlasStore):
    _content: ContentMarker | None = None  # None in a subclass that never writes (read_only)

    def __init__(self, root: str | os.PathLike, base_iri: str):
        self.root = Path(root)
        self.base_iri = base_iri
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.root / "lock", "a+")
        except OSError as exc:
            raise StoreError(f"cannot create or open the store at {self.root}: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreLocked(
                f"the store at {self.root} is in use by another process (a running `tfatlas serve`?). "
                "Stop it, or send the change through its SPARQL endpoint."
            ) from None
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(f"{os.getpid()}\n")
        self._lock_file.flush()
        # Held from a write's commit until its announcement, and while a checkpoint is taken: a
        # checkpoint is then exactly the state of the generation it is labelled with, so a copy
        # made from it can follow the later writes' deltas.
        self._write_lock = threading.RLock()
        self._store = self._open_generation(self._active_generation())
        try:
            self._content = ContentMarker(self.root)
        except OSError as exc:
            raise StoreError(f"cannot write {self.root / 'CONTENT'}: {exc.strerror}") from None
        self._fault: tuple[type[StoreError], str] | None = None  # why writes fail now
        self._fault_lock = threading.RLock()
        self._remove_leftovers()
        # Commands that only read (publish, stats, dump, backup) get checkpoints while we hold it.
        self._readers = RequestAnswerer(self.root, self.checkpoint)

    # -- generations -------------------------------------------------------------------------

    def _active_generation(self) -> str:
        marker = self.root / ACTIVE
        if marker.exists():
            return marker.read_text().strip()
        name = "gen-000001"
        self._set_active(name)
        return name

    def _set_active(self, name: str) -> None:
        tmp = self.root / (ACTIVE + ".tmp")
        with open(tmp, "w") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.root / ACTIVE)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _open_generation(self, name: str) -> ox.Store:
        try:
            return ox.Store(str(self.root / name))
        except OSError as exc:
            raise StoreError(f"cannot open the Oxigraph database in {self.root / name}: {exc}") from None

    def _remove_leftovers(self) -> None:
        active = self._active_generation()
        for child in self.root.glob("gen-*"):
            if child.name != active:
                shutil.rmtree(child, ignore_errors=True)

    # -- AtlasStore --------------------------------------------------------------------------

    def load(self, sources: list[Source], *, replace: bool = False,
             progress: Progress | None = None) -> LoadReport:
        self._recover()
        try:
            return self._load(sources, replace, progress)
        except StoreError as exc:
            if isinstance(exc.__cause__, OSError) and is_storage_failure(exc.__cause__):
                self._fault = (type(exc), exc.message)
            raise

    def _load(self, sources: list[Source], replace: bool, progress: Progress | None) -> LoadReport:
        started = time.perf_counter()
        current, staged_name, staged_path = self._next_generation()
        try:
            self._store.flush()
            self._store.backup(str(staged_path))
            staged = ox.Store(str(staged_path))
        except OSError as exc:
            shutil.rmtree(staged_path, ignore_errors=True)
            raise storage_error(exc, _LOADING) from exc

        report = LoadReport()
        try:
            if replace:
                for graph in self._target_graphs(sources):
                    staged.remove_graph(_term(graph)) if staged.contains_named_graph(_term(graph)) else None
            offset = (0, 0)
            for source in sources:
                offset = self._bulk_load(staged, source, progress, offset)
            staged.flush()
            # The graphs are known only after the load (a dataset file names its own, and parsing
            # it before its safety check could crash the parser); the active generation still
            # holds their counts before it.
            for graph in self._target_graphs(sources):
                report.graphs[graph] = _triples_in(staged, graph)
            report.added = sum(count - (0 if replace else _triples_in(self._store, graph))
                               for graph, count in report.graphs.items())
            for source in sources:
                staged.update(provenance_update(self.base_iri, source.graph, source.provenance_path,
                                                report.graphs.get(source.graph, 0)))
            staged.flush()
            del staged
        except BaseException:
            staged = None
            shutil.rmtree(staged_path, ignore_errors=True)
            raise

        # Switch: from here on the new generation is the store.
        with self._write_lock:
            self._switch(current, staged_name)
            report.seconds = time.perf_counter() - started
            self._committed("load", [*report.graphs, meta_graph(self.base_iri)])
        return report

    def replace_data(self, database: Path) -> None:
        """Make a copy of ``database`` (an Oxigraph directory, e.g. a backup's checkpoint) the
        store's data, all or nothing, as a load switches generations."""
        current, staged_name, staged_path = self._next_generation()
        try:
            shutil.copytree(database, staged_path)  # copied, not linked: RocksDB appends to some files
            ox.Store(str(staged_path)).flush()  # it opens for writing here
        except OSError as exc:
            shutil.rmtree(staged_path, ignore_errors=True)
            raise StoreError(f"cannot copy {database} into the store at {self.root}: {exc}") from None
        with self._write_lock:
            self._switch(current, staged_name)
            self._committed("load", None)

    @staticmethod
    def _target_graphs(sources: list[Source]) -> list[str]:
        graphs: list[str] = []
        for source in sources:
            if source.graph not in graphs:
                graphs.append(source.graph)
            if source.format.has_datasets:
                with _open_source(source.path) as raw:
                    try:
                        for quad in ox.parse(raw, source.format.oxigraph):
                            name = quad.graph_name
                            if isinstance(name, ox.NamedNode) and name.value not in graphs:
                                graphs.append(name.value)
                    except SyntaxError as exc:
                        raise InputError(syntax_message(source.path, exc)) from None
        return graphs

    @staticmethod
    def _bulk_load(store: ox.Store, source: Source, progress: Progress | None,
                   offset: tuple[int, int]) -> tuple[int, int]:
        fmt = source.format.oxigraph
        base_iri = source.path.resolve().as_uri()
        check_file(source.path, fmt)  # entity bombs, nesting that would crash the parser
        with _open_source(source.path) as raw:
            try:
                if fmt in _LINE_FORMATS:
                    blocks = _LineBlocks(raw, offset)
                    while not blocks.eof:
                        start_line = blocks.lines - offset[1]  # lines of this file before the window
                        window: bytes | _Rest = blocks.next(max(WINDOW_BYTES, BLOCK_BYTES))
                        if not window:
                            break
                        if blocks.blank_nodes:
                            window, blocks.progress = _Rest(window, blocks), progress
                        try:
                            store.bulk_load(window, fmt, base_iri=base_iri, to_graph=_term(source.graph))
                        except SyntaxError as exc:
                            # the parser counts lines from the window's start, a person from the file's
                            if exc.lineno is not None:
                                exc.lineno += start_line
                            raise
                        if progress is not None:
                            progress(blocks.bytes, blocks.lines)
                    if blocks.double_angle:
                        _refuse_unpublishable(store, source)
                    return blocks.bytes, blocks.lines
                reader = _CountingReader(raw, progress, offset)
                store.bulk_load(reader, fmt, base_iri=base_iri, to_graph=_term(source.graph))
                if fmt in _STATES_BAD_LITERALS or reader.double_angle:
                    _refuse_unpublishable(store, source)
                return reader.bytes, reader.lines
            except SyntaxError as exc:
                raise InputError(syntax_message(source.path, exc)) from None
            except ValueError as exc:
                raise InputError(f"{source.path}: {exc}") from None
            except OSError as exc:
                raise storage_error(exc, _LOADING) from exc

    def drop_graph(self, graph: str) -> None:
        self._recover()
        with self._write_lock:
            if self._store.contains_named_graph(_term(graph)):
                try:
                    self._content.before_write()
                    self._store.remove_graph(_term(graph))
                except OSError as exc:
                    raise self._failed(exc, ("dropping the graph", "das Löschen des Graphen")) from None
                self._committed("drop", [graph], delta=Delta(cleared=(graph,)))

    def query(self, sparql: str, *, default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None, union_default: bool = True,
              base_iri: str | None = None):
        kwargs = {}
        if default_graphs is not None:
            kwargs["default_graph"] = graph_terms(default_graphs)
        elif union_default:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = graph_terms(named_graphs)
        if (too_large := guard_problem(sparql)) is not None:
            raise QueryError(f"malformed query: {too_large}")
        try:
            return self._store.query(sparql, base_iri=base_iri, **kwargs)
        except SyntaxError as exc:
            raise QueryError(f"malformed query: {exc}") from None
        except OSError as exc:
            raise QueryError(f"query failed: {exc}") from None

    def update(self, sparql: str, *, base_iri: str | None = None,
               graphs: Iterable[str] | None = None, delta: Delta | None = None,
               timeout: float | None = None) -> None:
        if (too_large := guard_problem(sparql, update=True)) is not None:
            raise QueryError(f"malformed update: {too_large}")
        if (unsafe := update_problem(sparql)) is not None:
            raise InputError(unsafe)
        self._recover()
        if timeout is not None and bounded_update.needs_bound(sparql):
            return self._bounded_update(sparql, base_iri, graphs, delta, timeout)
        with self._write_lock:
            try:
                self._content.before_write()
                # Parse and evaluation recurse; a large stack keeps what the guard admits from crashing.
                on_large_stack(self._store.update, sparql, base_iri=base_iri)
            except SyntaxError as exc:
                raise QueryError(f"malformed update: {exc}") from None
            except OSError as exc:
                if is_storage_failure(exc):
                    raise self._failed(exc, ("the update", "die Änderung")) from None
                raise QueryError(f"update failed: {exc}") from None
            self._committed("update", graphs, delta=delta, update=sparql, base_iri=base_iri)

    def _bounded_update(self, sparql: str, base_iri: str | None, graphs, delta, timeout: float) -> None:
        """The update by a child process on a new generation, switched to when it finishes in time
        (see :mod:`.bounded_update`); the write lock is held throughout, as for a direct update."""
        with self._write_lock:
            current, staged_name, staged_path = self._next_generation()
            try:
                self._store.flush()
                self._store.backup(str(staged_path))
            except OSError as exc:
                shutil.rmtree(staged_path, ignore_errors=True)
                raise self._failed(exc, ("the update", "die Änderung")) from None
            bounded_update.run(staged_path, sparql, base_iri, timeout)
            self._switch(current, staged_name)
            self._committed("update", graphs, delta=delta, update=sparql, base_iri=base_iri)

    def _next_generation(self) -> tuple[str, str, Path]:
        """The active generation's name, and the name and (emptied) directory of the next one."""
        current = self._active_generation()
        staged_name = f"gen-{int(current.rsplit('-', 1)[1]) + 1:06d}"
        shutil.rmtree(self.root / staged_name, ignore_errors=True)
        return current, staged_name, self.root / staged_name

    def _switch(self, current: str, staged_name: str) -> None:
        """Make the staged generation the store's (the caller holds the write lock)."""
        self._content.before_write()  # a restart must not trust a text index made before this write
        self._set_active(staged_name)
        self._store = None
        self._store = self._open_generation(staged_name)
        shutil.rmtree(self.root / current, ignore_errors=True)

    def content_marker(self, generation: int) -> str | None:
        return self._content.at(generation) if self._content is not None else None

    def checkpoint(self, path: str | os.PathLike) -> int:
        """A RocksDB checkpoint (hard links) of the data at ``path``; returns its write generation."""
        with self._write_lock:
            self._store.flush()
            self._store.backup(str(path))
            return self.write_generation

    # -- storage faults ------------------------------------------------------------------------

    def _failed(self, exc: OSError, doing: tuple[str, str]) -> StoreError:
        error = storage_error(exc, doing)
        # Kept as class and message only: an exception object would keep, through its context's
        # traceback, the frames that hold the old database open, and the reopen would fail.
        self._fault = (type(error), error.message)
        return error

    def fault(self) -> str | None:
        try:
            self._recover()
        except StoreError as exc:
            return exc.message
        return None

    def _recover(self) -> None:
        """After a storage fault, with space free again: reopen the database (see the docstring)."""
        if self._fault is None:
            return
        with self._fault_lock:
            if self._fault is None:
                return
            kind, message = self._fault
            if shutil.disk_usage(self.root).free < MIN_FREE_BYTES:
                raise kind(message)
            name = self._active_generation()
            self._store = None  # the last reference: RocksDB closes, and its sticky error with it
            gc.collect()  # a failed write's traceback may still hold the database in a cycle
            try:
                self._store = self._open_generation(name)
            except StoreError:
                self._store = ox.Store.read_only(str(self.root / name))  # reads go on meanwhile
                raise kind(message) from None
            self._fault = None

    def dump(self, out: BinaryIO, fmt: Format) -> None:
        if not fmt.has_datasets:
            raise InputError(f"dump needs a dataset format (nquads or trig), not {fmt.name}")
        self._store.dump(out, fmt.oxigraph)

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for the parts of the core that need its full API."""
        return self._store

    def close(self) -> None:
        if getattr(self, "_readers", None) is not None:
            self._readers.close()
            self._readers = None
        if self._store is not None:
            self._store.flush()
            self._store = None
            if self._content is not None:
                self._content.close(self.write_generation)
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
