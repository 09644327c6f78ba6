"""An exact cache of serialised query answers, keyed on the store's state.

The key starts with the query service's write generation, which every write through the store
bumps: an answer cached for one state is never served for another, so the cache cannot be
stale. Queries whose answer may differ between two evaluations of the same state (RAND, NOW,
UUID, STRUUID, BNODE) or that reach outside the store (SERVICE) are never cached.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

_UNCACHEABLE = re.compile(r"\b(RAND|NOW|UUID|STRUUID|BNODE|SERVICE)\b", re.IGNORECASE)


def cacheable(query_text: str) -> bool:
    return _UNCACHEABLE.search(query_text) is None


class ResultCache:
    """Least-recently-used, bounded by the total bytes of the cached bodies."""

    def __init__(self, capacity_bytes: int):
        self.capacity = capacity_bytes
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, size_of: Callable[[Any], int], compute: Callable[[], Any]):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = compute()  # errors are raised, never cached
        size = size_of(value)
        if size <= self.capacity // 16:  # one large answer must not flush everything else
            with self._lock:
                if key not in self._entries:
                    self._entries[key] = value
                    self._size += size
                    while self._size > self.capacity:
                        _, old = self._entries.popitem(last=False)
                        self._size -= size_of(old)
        return value

    def __len__(self) -> int:
        return len(self._entries)
