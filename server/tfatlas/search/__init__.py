"""German full-text search over the atlas's offers, in an index beside the store (no Flask).

    index = search.open(store)            # opened, checked against the store, rebuilt if stale
    search.update(store, {changed_iri})   # after each accepted write
    results = index.search("KI", lang="de", restrict=offer_iris, limit=50)

One index per store object; the write path needs only ``update(store, iris)``.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Iterable

from .explain import Match, WordMatch
from .index import DEFAULT_STRATEGY, Hit, Results, SearchIndex, default_directory

__all__ = ["Hit", "Match", "Results", "SearchIndex", "WordMatch", "default_directory", "get",
           "open", "rebuild", "update"]

_INDEXES: "weakref.WeakKeyDictionary[object, SearchIndex]" = weakref.WeakKeyDictionary()


def _index_for(store, directory, strategy) -> SearchIndex:
    index = _INDEXES.get(store)
    wanted = Path(directory) if directory is not None else default_directory(store)
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


def get(store) -> SearchIndex | None:
    """The index opened for this store object, if any."""
    return _INDEXES.get(store)


def update(store, changed: Iterable[str]) -> int:
    """Bring the store's open index up to date after a write of these resources (none open: 0)."""
    index = _INDEXES.get(store)
    return index.update(store, changed) if index is not None else 0
