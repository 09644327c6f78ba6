"""The text index on disk: built from a store, kept in step with it, searched.

Layout of an index directory::

    <dir>/CURRENT        name of the index that answers (replaced atomically)
    <dir>/idx-000001/    a tantivy index, with state.json (format, strategy, store generation)

A rebuild writes a fresh ``idx-*`` and only then switches ``CURRENT``; a crash midway leaves the
previous index answering and the leftover is removed at the next open. A single write updates
the current index in one tantivy commit (atomic on its own).

Each indexed offer carries a digest of what the store said about it. The state records the
store's content marker (``AtlasStore.content_marker``) of the content the index reflects: when
the store's marker at open is the recorded one, nothing was written since (by this process or
another) and the index opens without reading an offer. Otherwise (a write the index missed, a
crash between a store commit and the index commit, a remote store) the digests are compared with
the store's content, and any difference means a rebuild before the first search.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import tantivy

from . import analysis, fields, query
from . import select as select_
from .explain import Match, explain, matchers
from .source import OfferDoc, affected_offers, gc_paused, read_offers

log = logging.getLogger(__name__)
CURRENT = "CURRENT"
STATE = "state.json"
DIRECTORY = "search-index"
DEFAULT_STRATEGY = "decompound"
_HEAP = 50_000_000


def default_directory(store) -> Path:
    """``<store>/search-index`` for the embedded store; other stores need a configured directory."""
    root = getattr(store, "root", None)
    if root is None:
        raise ValueError("the search index of a remote store needs a directory (setting search_index)")
    return Path(root) / DIRECTORY


def store_generation(store) -> int:
    """The store object's write generation (it counts this process's writes, so it is compared
    within a process; across restarts the index compares content markers or digests)."""
    return getattr(store, "write_generation", 0)


def content_marker(store, generation: int) -> str | None:
    """The store's name for its content after write ``generation``; None: unknown."""
    marker = getattr(store, "content_marker", None)
    return marker(generation) if marker is not None else None


#: The generation of the last write this thread made, as the store's write hook announced it.
_writer = threading.local()


@dataclass
class Hit:
    iri: str
    score: float
    exact: bool
    matches: list[Match]
    title: list[tuple[str, bool]]  # (text, highlighted) pieces of the title in the reader's language
    snippet: list[tuple[str, bool]]  # the same for a window of the description
    title_lang: str = ""  # the title's language: the reader's, or the offer's own when it has none in hers
    concepts: dict[str, list[str]] = field(default_factory=dict)  # facet -> the concepts the offer names


@dataclass
class Results:
    text: str
    words: list[str]
    mode: str  # "all": offers with every word; "any": no offer has all, these have some; "none": no words
    ranked: list[str] = field(default_factory=list)  # every matching offer, best first
    scores: dict[str, float] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)  # the first ``limit``, explained

    @property
    def total(self) -> int:
        return len(self.ranked)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _title_order(searcher, schema, lang: str) -> dict[str, int]:
    """IRI -> position in the order of (folded title, IRI), read from the term dictionary, which
    is sorted. A replaced document's terms stay there until its segment is merged: an IRI with
    more than one term keeps the one a live document has."""
    terms: dict[str, list[str]] = {}
    name = fields.title_field(lang)
    for term, _ in searcher.terms_with_prefix(name, ""):
        terms.setdefault(term.rpartition(fields.ORDER_SEPARATOR)[2], []).append(term)
    live = []
    for iri, candidates in terms.items():
        if len(candidates) > 1:
            candidates = [t for t in candidates
                          if searcher.search(tantivy.Query.term_query(schema, name, t), limit=1).hits]
        live.extend(candidates[:1])
    return {term.rpartition(fields.ORDER_SEPARATOR)[2]: i for i, term in enumerate(sorted(live))}


class SearchIndex:
    def __init__(self, directory: str | os.PathLike, strategy: str = DEFAULT_STRATEGY):
        if strategy not in fields.STRATEGIES:
            raise ValueError(f"unknown compound strategy {strategy!r}")
        self.directory = Path(directory)
        self.strategy = strategy
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._name: str | None = None
        self._iris: dict[int, str] = {}
        self._known: analysis.Vocabulary | None = None
        self._orders: dict[str, dict[str, int]] = {}  # lang -> title order (order()), per reader
        self.rebuilds = 0  # how often this object rebuilt the index (a stale index is rebuilt)
        self.checks = 0  # how often it read every offer to compare digests (not at a known marker)
        # The store's write generation the index is known to reflect, and later generations whose
        # writes were indexed one by one (update); a gap is a write nobody announced.
        self.synced = -1
        self._covered: set[int] = set()
        # Writes announced with update(wait=False), indexed in order by one background thread, so
        # that a write's answer does not wait for the index's commit; searches wait for them.
        self._queue: list[tuple[object, set[str], int | None]] = []
        self._queued = threading.Condition()
        self._worker: threading.Thread | None = None

    # -- state on disk ---------------------------------------------------------------------

    def _current(self) -> str | None:
        try:
            return (self.directory / CURRENT).read_text().strip() or None
        except FileNotFoundError:
            return None

    def state(self) -> dict | None:
        name = self._name or self._current()
        if name is None:
            return None
        try:
            return json.loads((self.directory / name / STATE).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _open_current(self) -> bool:
        """Open the index CURRENT names, if it is complete and of this format and strategy."""
        name = self._current()
        state = self.state() if name else None
        if (state is None or state.get("format") != fields.FORMAT or state.get("strategy") != self.strategy
                or not tantivy.Index.exists(str(self.directory / name))):
            return False
        try:
            index = tantivy.Index.open(str(self.directory / name))
        except (ValueError, OSError):  # written by another tantivy version, or damaged: rebuild
            return False
        analysis.register(index)
        self._index, self._name = index, name
        self._refresh()
        return True

    def _remove_leftovers(self) -> None:
        for child in self.directory.glob("idx-*"):
            if child.name != self._name:
                shutil.rmtree(child, ignore_errors=True)

    def _settle(self, store, generation: int) -> None:
        """The index reflects the store's content after write ``generation``: count it as synced
        and record the store's marker of that content (the state is rewritten only when it changes)."""
        self._synced_to(generation)
        state = {"format": fields.FORMAT, "strategy": self.strategy,
                 "offers": self._index.searcher().num_docs, "generation": self.synced,
                 "marker": content_marker(store, self.synced)}
        recorded = self.state() or {}
        if {k: recorded.get(k) for k in state} != state:
            state["written"] = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
            _write_atomic(self.directory / self._name / STATE, json.dumps(state, indent=1) + "\n")

    def _refresh(self) -> None:
        """Reload the reader after a commit; the IRI table and word list follow the index."""
        self._index.reload()
        searcher = self._index.searcher()
        self._iris = {fields.key(term): term for term, _ in searcher.terms_with_prefix("iri", "")}
        self._known = None
        self._orders = {}

    def vocabulary(self) -> analysis.Vocabulary:
        """Every word of the indexed texts: the dictionary compounds are split against."""
        if self._known is None:
            searcher = self._index.searcher()
            stems: dict[str, set[str]] = {}
            for name, _, lang, _ in fields.text_fields():
                for field_name in (name, fields.modifier_field(name)):
                    stems.setdefault(lang, set()).update(t for t, _ in searcher.terms_with_prefix(field_name, ""))
            self._known = analysis.Vocabulary((t for t, _ in searcher.terms_with_prefix("words", "")), stems)
        return self._known

    # -- building and following the store --------------------------------------------------

    def rebuild(self, store, docs: dict[str, OfferDoc] | None = None, generation: int | None = None) -> int:
        """Index every offer of the store into a new directory and switch to it; the offer count.
        ``docs``: the offers as read after write ``generation`` of the store (default: read now)."""
        with self._lock:
            if docs is None:
                generation = store_generation(store)  # before reading: the content is at least this
                docs = read_offers(store)
            elif generation is None:
                raise ValueError("rebuild from given docs needs the generation they were read at")
            self.directory.mkdir(parents=True, exist_ok=True)
            taken = [int(p.name.rsplit("-", 1)[1]) for p in self.directory.glob("idx-*") if p.name[4:].isdigit()]
            name = f"idx-{max(taken, default=0) + 1:06d}"
            path = self.directory / name
            path.mkdir()
            index = tantivy.Index(fields.schema(self.strategy), path=str(path))
            analysis.register(index)
            writer = index.writer(heap_size=_HEAP, num_threads=1)
            memo: dict = {}
            with gc_paused():
                for iri in sorted(docs):
                    writer.add_document(fields.document(docs[iri], self.strategy, memo))
            writer.commit()
            writer.wait_merging_threads()
            self._index, self._name = index, name
            self._refresh()
            self._settle(store, generation)
            _write_atomic(self.directory / CURRENT, name + "\n")
            self._remove_leftovers()
            self.rebuilds += 1
            return len(docs)

    def digests(self) -> dict[str, int]:
        """IRI -> content digest of every offer in the index."""
        searcher = self._index.searcher()
        if not searcher.num_docs:
            return {}
        addresses = [addr for _, addr in searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs).hits]
        keys = searcher.fast_field_values("key", addresses)
        digests = searcher.fast_field_values("digest", addresses)
        return {self._iris[k]: d for k, d in zip(keys, digests)}

    def open(self, store) -> bool:
        """Open the index and make sure it reflects the store; True when it had to be rebuilt."""
        with self._lock:
            generation = store_generation(store)
            marker = content_marker(store, generation)  # before anything is read
            if self._index is None and not self._open_current():
                log.info("text index: none of this format in %s; building it", self.directory)
                self.rebuild(store)
                return True
            if marker is None or (self.state() or {}).get("marker") != marker:
                self.checks += 1
                docs = read_offers(store)
                if self.digests() != {iri: doc.digest for iri, doc in docs.items()}:
                    log.info("text index: the store changed since it was built; rebuilding it")
                    self.rebuild(store, docs, generation)
                    return True
                log.info("text index: compared the digests of %d offers with the store: in step", len(docs))
            else:
                log.info("text index: in step with the store (content %s), opened without reading the offers",
                         marker)
            self._remove_leftovers()
            self._settle(store, generation)
            return False

    def reconcile(self, store) -> int:
        """Compare every offer's digest with the store and re-index those that differ; their number.

        For writes nobody announced with :meth:`update` (a SPARQL Update by the operator, another
        writer of a remote store).
        """
        if self._index is None:
            self.open(store)
            return 0
        generation = store_generation(store)
        docs = read_offers(store)  # outside the lock: searches go on while a remote store answers
        with self._lock:
            indexed = self.digests()
            changed = {iri for iri, doc in docs.items() if indexed.get(iri) != doc.digest}
            changed |= set(indexed) - set(docs)
            if len(changed) > max(16, len(docs) // 2):
                self.rebuild(store, docs, generation)  # a load: indexing afresh is faster than one by one
                return len(changed)
            if changed:
                self._replace(changed, docs)
            self._settle(store, generation)
            return len(changed)

    def _synced_to(self, generation: int) -> None:
        self.synced = max(self.synced, generation)
        self._covered = {g for g in self._covered if g > self.synced}
        while self.synced + 1 in self._covered:
            self.synced += 1
            self._covered.discard(self.synced)

    def stale(self, store) -> bool:
        """True when the store has committed a write this index has not reflected yet."""
        return store_generation(store) > self.synced

    def ensure_current(self, store) -> None:
        """Open (a store that did not answer at start), wait for queued writes, and reconcile if
        the store still has a write the index has not heard of: never serve stale."""
        if self._index is None:
            self.open(store)
            return
        self.wait_for_updates()
        if self.stale(store):
            self.reconcile(store)

    def on_write(self, store, event) -> None:
        """The store's write hook: loads and graph drops are reconciled at once; for an update,
        the writer's :meth:`update` follows (or the next search reconciles)."""
        _writer.generation = event.generation
        if event.kind in ("load", "drop"):
            self.reconcile(store)

    def update(self, store, changed: Iterable[str], wait: bool = True) -> int:
        """Re-index the offers a write of these resources may have changed.

        Called by the write path after each accepted write, in the writing thread: the write's
        generation (from the store's hook) then counts as reflected. ``wait=False`` queues the
        work for a background thread (the write's answer does not wait for the index's commit;
        the next search does) and returns 0; otherwise the number of offers re-indexed.
        """
        changed = set(changed)
        written = getattr(_writer, "generation", None)
        _writer.generation = None
        # Only this thread's own latest write, and only if no other write came since: any
        # other gap is left for reconcile().
        if written is not None and written != store_generation(store):
            written = None
        if not wait:
            with self._queued:
                self._queue.append((store, changed, written))
                if self._worker is None or not self._worker.is_alive():
                    self._worker = threading.Thread(target=self._drain, name="search-index-update", daemon=True)
                    self._worker.start()
            return 0
        return self._update_now(store, changed, written)

    def _update_now(self, store, changed: set[str], written: int | None) -> int:
        with self._lock:
            if self._index is None:
                raise RuntimeError("open or rebuild the index first")
            indexed = set(self._iris.values())
            affected = affected_offers(store, changed) | (changed & indexed)
            if affected:
                self._replace(affected, read_offers(store, affected))
            if written is not None:
                self._covered.add(written)
            self._settle(store, self.synced)
            return len(affected)

    def _drain(self) -> None:
        while True:
            with self._queued:
                if not self._queue:
                    self._queued.notify_all()
                    return
                store, changed, written = self._queue[0]
            try:
                self._update_now(store, changed, written)
            except Exception:  # the next search reconciles what this could not index
                log.exception("indexing a write failed")
            with self._queued:
                self._queue.pop(0)
                self._queued.notify_all()

    def wait_for_updates(self, timeout: float = 30.0) -> bool:
        """Wait until the queued writes are indexed; False when the time ran out."""
        with self._queued:
            return self._queued.wait_for(lambda: not self._queue, timeout=timeout)

    def _replace(self, iris: set[str], docs: dict[str, OfferDoc]) -> None:
        """Delete these offers' documents and add the current ones, in one commit."""
        writer = self._index.writer(heap_size=_HEAP, num_threads=1)
        memo: dict = {}
        try:
            for iri in sorted(iris):
                writer.delete_documents_by_term("iri", iri)
                if iri in docs:
                    writer.add_document(fields.document(docs[iri], self.strategy, memo))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self._refresh()

    # -- searching -------------------------------------------------------------------------

    def _text_matches(self, searcher, words, text: str, allowed: set[str] | None = None):
        """The mode ("all" words, else "any": no allowed offer has them all), the query that
        decided it, and every (allowed) match as (score, IRI, address, key), best first; equal
        scores in IRI order, so the order does not depend on how segments were merged."""
        schema = self._index.schema
        for mode in ("all", "any"):
            if mode == "any" and len(words) == 1:
                break
            built = query.build(schema, words, text, self.strategy, require_all=(mode == "all"))
            found = searcher.search(built, limit=max(1, searcher.num_docs)).hits
            keys = searcher.fast_field_values("key", [addr for _, addr in found])
            scored = [(score, self._iris.get(k), addr, k) for (score, addr), k in zip(found, keys)]
            scored = [s for s in scored if s[1] is not None and (allowed is None or s[1] in allowed)]
            if scored:
                break
        scored.sort(key=lambda s: (-round(s[0], 4), s[1]))
        return (mode if scored else "all"), built, scored

    def _prepare(self, text: str):
        self.wait_for_updates()
        with self._lock:
            index, known = self._index, self.vocabulary()
        if index is None:
            raise RuntimeError("open or rebuild the index first")
        return index, query.parse(text, known)

    def search(self, text: str, lang: str = "de", restrict: Iterable[str] | None = None,
               limit: int = 50) -> Results:
        """Offers matching the text, best first; ``restrict`` limits them to a set of IRIs."""
        index, words = self._prepare(text)
        results = Results(text=text, words=[w.text for w in words], mode="none")
        if not words:
            return results
        searcher = index.searcher()
        allowed = set(restrict) if restrict is not None else None
        results.mode, _, scored = self._text_matches(searcher, words, text, allowed)
        results.ranked = [s[1] for s in scored]
        results.scores = {s[1]: s[0] for s in scored}
        results.hits = self._explained(searcher, words, text, lang, scored[:limit])
        return results

    def _explained(self, searcher, words, text: str, lang: str, scored) -> list[Hit]:
        by_lang = matchers(words, self.strategy)
        hits = []
        for score, iri, addr, _ in scored:
            doc = OfferDoc.from_json(searcher.doc(addr)["doc"][0].decode())
            why = explain(doc, by_lang, text, lang)
            hits.append(Hit(iri, score, why.exact, why.matches, why.title, why.snippet, why.title_lang, doc.concepts))
        return hits

    def _decide(self, searcher, words, text: str) -> tuple[str, tantivy.Query | None, int]:
        """The mode of :meth:`search` ("all" words, else "any"), its query (None: no match) and
        the number of offers it matches."""
        for require_all in (True, False):
            if not require_all and len(words) == 1:
                break
            built = query.build(self._index.schema, words, text, self.strategy, require_all=require_all)
            matched = select_.count(searcher, built)
            if matched:
                return ("all" if require_all else "any"), built, matched
        return "all", None, 0

    def select(self, text: str, lang: str = "de", filters: select_.Filters | None = None,
               facets: Iterable[str] = (), page: int = 50) -> select_.Selection:
        """The finder's result for a text (tfatlas.search.select): the offers the text and the
        concept filters match (the text's words as :meth:`search` decides), their number, the
        first ``page`` in the finder's order, explained, and for each of ``facets`` the concept
        combinations of the offers matching the text and the other filters."""
        index, words = self._prepare(text)
        filters = dict(filters or {})
        if not words:
            return select_.Selection("none", combinations={f: {} for f in facets})
        searcher = index.searcher()
        mode, text_query, matched = self._decide(searcher, words, text)
        if text_query is None:
            return select_.Selection(mode, combinations={f: {} for f in facets})
        total, chosen = select_.page(searcher, index.schema, text_query, filters, self.order(lang), self._iris, page,
                                     total=None if filters else matched)
        return select_.Selection(
            mode, total=total, ranks={iri: rank for _, iri, _, rank in chosen},
            hits=self._explained(searcher, words, text, lang, chosen),
            combinations=select_.combinations(searcher, text_query, index.schema, filters, facets))

    def count(self, text: str, filters: select_.Filters) -> int:
        """How many offers match the text (as :meth:`select` decides) and the filters."""
        index, words = self._prepare(text)
        if not words:
            return 0
        searcher = index.searcher()
        _, text_query, _ = self._decide(searcher, words, text)
        return select_.count(searcher, select_.filtered(index.schema, text_query, filters)) if text_query else 0

    def order(self, lang: str) -> dict[str, int]:
        """IRI -> the offer's position when ordered by its title in ``lang`` (folded), then IRI."""
        with self._lock:
            searcher = self._index.searcher()
            if lang not in self._orders:
                self._orders[lang] = _title_order(searcher, self._index.schema, lang)
            return self._orders[lang]

    def explain(self, text: str, lang: str, iris: Iterable[str]) -> dict[str, Hit]:
        """Explanations of given offers for a text (e.g. the page the finder shows), by IRI."""
        with self._lock:
            index, known = self._index, self.vocabulary()
        words = query.parse(text, known)
        if not words:
            return {}
        searcher = index.searcher()
        found = []
        for iri in iris:
            hits = searcher.search(tantivy.Query.term_query(index.schema, "iri", iri), limit=1).hits
            if hits:
                found.append((0.0, iri, hits[0][1], 0))
        return {hit.iri: hit for hit in self._explained(searcher, words, text, lang, found)}

    def close(self) -> None:
        with self._lock:
            self._index = None
