"""German full-text search over the atlas's offers, in an index beside the store (no Flask).

    index = search.attach(store)          # opened, checked against the store (rebuilt if stale),
                                          # following the store's writes from now on
    search.update(store, {changed_iri})   # the write path, after each accepted write
    results = search.current(store).search("KI", lang="de", restrict=offer_iris, limit=50)

One index per store object. Writes through the store are followed by its write hook: a load or
graph drop is reconciled at once, an update by the writer's ``update`` call, or, when nobody
announces what changed (a raw SPARQL Update), by a digest comparison before the next search.
A remote store may change behind the atlas's back: ``refresh`` seconds between such comparisons.
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from ..errors import StoreError
from .explain import Match, WordMatch
from .index import DEFAULT_STRATEGY, Hit, Results, SearchIndex, default_directory

__all__ = ["Hit", "Match", "Results", "SearchIndex", "WordMatch", "attach", "attach_configured",
           "configured_directory", "current", "default_directory", "detach", "get", "open", "rebuild",
           "subjects", "update"]

log = logging.getLogger(__name__)
_INDEXES: "weakref.WeakKeyDictionary[object, SearchIndex]" = weakref.WeakKeyDictionary()
_FOLLOWING: "weakref.WeakKeyDictionary[object, tuple]" = weakref.WeakKeyDictionary()


def _index_for(store, directory, strategy) -> SearchIndex:
    index = _INDEXES.get(store)
    wanted = Path(directory) if directory else default_directory(store)
    if index is None or index.directory != wanted or index.strategy != strategy:
        index = _INDEXES[store] = SearchIndex(wanted, strategy)
    return index


def open(store, directory=None, strategy: str = DEFAULT_STRATEGY) -> SearchIndex:  # noqa: A001
    """The store's index, checked against the store's content and rebuilt when stale or missing."""
    index = _index_for(store, directory, strategy)
    index.open(store)
    return index


def rebuild(store, directory=None, strategy: str = DEFAULT_STRATEGY) -> SearchIndex:
    index = _index_for(store, directory, strategy)
    index.rebuild(store)
    return index


def attach(store, directory=None, refresh: float = 0.0, strategy: str = DEFAULT_STRATEGY) -> SearchIndex:
    """Open the store's index and keep it following the store (write hook; ``refresh`` > 0: also
    compare with the store's content every ``refresh`` seconds, for stores others write to)."""
    index = _index_for(store, directory, strategy)
    try:
        index.open(store)
    except StoreError as exc:  # the store does not answer now: the first search tries again (503 meanwhile)
        log.warning("the text index could not be checked against the store: %s", exc)
    if store in _FOLLOWING:
        return index
    unsubscribe = store.subscribe(lambda event: index.on_write(store, event))
    stop = threading.Event()
    if refresh > 0:
        def follow() -> None:
            while not stop.wait(refresh):
                try:
                    index.reconcile(store)
                except Exception:  # a store that does not answer now may answer at the next round
                    log.exception("refreshing the search index from the store failed")

        threading.Thread(target=follow, name="search-index-refresh", daemon=True).start()
    _FOLLOWING[store] = (unsubscribe, stop)
    return index


def detach(store) -> None:
    following = _FOLLOWING.pop(store, None)
    if following is not None:
        unsubscribe, stop = following
        unsubscribe()
        stop.set()


def configured_directory(config, store) -> Path:
    """The index directory a configuration names, or the default for this store."""
    if config.search_index:
        return Path(config.search_index)
    if getattr(store, "root", None) is not None:
        return default_directory(store)
    return Path("var/search-index")


def attach_configured(store, config) -> SearchIndex:
    """``attach`` with the configured directory; a remote store is also refreshed on schedule."""
    remote = getattr(store, "root", None) is None
    directory = configured_directory(config, store)
    try:
        return attach(store, directory, refresh=config.search_refresh if remote else 0.0)
    except OSError as exc:
        raise StoreError(f"cannot write the text index in {directory} ({exc.strerror or exc}); "
                         "set search_index to a writable directory") from None


def get(store) -> SearchIndex | None:
    """The index opened for this store object, if any."""
    return _INDEXES.get(store)


def current(store) -> SearchIndex:
    """The store's index, reconciled first if the store has a write it has not reflected."""
    index = _INDEXES.get(store)
    if index is None:
        raise RuntimeError("no search index is attached to this store")
    index.ensure_current(store)
    return index


def subjects(*triples: Iterable) -> set[str]:
    """The IRIs that a write's triples are about (what ``update`` takes)."""
    return {t.subject.value for group in triples for t in group if isinstance(t.subject, ox.NamedNode)}


def update(store, changed: Iterable[str], wait: bool = True) -> int:
    """Bring the store's open index up to date after a write of these resources (none open: 0);
    ``wait=False``: in the background, before the next search."""
    index = _INDEXES.get(store)
    return index.update(store, changed, wait=wait) if index is not None else 0
