"""Running SPARQL for the endpoint: the facade the /sparql route calls (``query``, ``checked_update``, ``stats``).

It applies the shape guard (:mod:`.guard`), the literal check of updates (``model.rdf_safety``),
the allow-list (:mod:`.access`) and the admin token, negotiates before evaluating, keeps the exact result cache (:mod:`.cache`), and hands the query to a backend:
the pool of worker processes (:mod:`.workers`) over the embedded store, or the remote server
(:mod:`.remote`). The pool follows every committed write through the store's write hook
(``AtlasStore.subscribe``), so a query sent after a successful update always sees it.
"""

from __future__ import annotations

import os
import threading

from ..errors import QueryFailed
from ..model.rdf_safety import update_problem
from . import conneg
from .access import authorize_update, check_outgoing
from .cache import ResultCache, cacheable
from .messages import QueryTask
from .protocol import Operation
from .remote import RemoteQueries
from .results import KIND_OF_FORM, Answer
from .guard import problem as guard_problem
from .text import add_using, query_form
from .workers import WorkerPool


def _frozen(graphs):
    return None if graphs is None else tuple(graphs)


class QueryService:
    """What the /sparql endpoint calls: ``query``, ``checked_update``, ``stats``."""

    def __init__(self, store, config):
        self.store = store
        self.timeout = float(config.query_timeout)
        self.cap = int(config.result_limit)
        self.allow = tuple(config.service_allow)
        self.admin_hash = config.admin_token_sha256
        self._update_lock = threading.Lock()  # shared with the contributions' writes (web/deps.py)
        self._stats: tuple[int, object] | None = None
        if getattr(config, "remote", False):
            self.backend = RemoteQueries(store)
            self.pool = None
        else:
            # Two per core: while one worker hands its answer back, another evaluates (measured:
            # 2 workers 0.75-0.90x `oxigraph serve` at concurrency 8 on 2 cores, 4 workers 1.03x).
            size = int(config.query_workers) or max(2, min(int(config.threads), 2 * (os.cpu_count() or 1)))
            self.pool = WorkerPool(store, size, follow_writes=bool(config.apply_writes),
                                   processes=int(config.query_processes))
            self.backend = self.pool
        # Exact answers need a write generation that covers every writer: only the embedded store has one.
        cache_bytes = int(config.result_cache_mb * 1024 * 1024)
        self.cache = ResultCache(cache_bytes) if self.pool is not None and cache_bytes > 0 else None

    def warm_up(self) -> None:
        """Load the workers now rather than on the first query (the server calls this at start)."""
        if self.pool is not None:
            self.pool.start()

    @property
    def generation(self) -> int:
        return self.pool.generation if self.pool else 0

    def query(self, op: Operation, *, accept: str | None, base_iri: str | None) -> Answer:
        if (too_large := guard_problem(op.text)) is not None:
            raise QueryFailed(400, too_large)
        check_outgoing(op.text, self.allow, base_iri)
        form = query_form(op.text)
        if form is not None:  # refuse an impossible format before evaluating (406)
            conneg.negotiate(KIND_OF_FORM[form], accept, op.format)
        task = QueryTask(op.text, base_iri, op.default_graphs, op.named_graphs, accept, op.format, self.cap)
        if self.cache is None or not cacheable(op.text):
            return self.backend.run(task, self.timeout)
        # The generation is read before evaluating: a write during the evaluation bumps it, so
        # this key is never asked for again and no later request sees an older state.
        key = (self.generation, op.text, base_iri, _frozen(op.default_graphs),
               _frozen(op.named_graphs), accept, op.format, self.cap)
        return self.cache.get_or_compute(key, lambda answer: len(answer.body),
                                         lambda: self.backend.run(task, self.timeout))

    def checked_update(self, op: Operation, *, authorization: str | None, base_iri: str | None) -> str:
        """The operator's update as it is to run (with the protocol's USING clauses), after the
        admin token, the guard's limits, the literal check and the allow-list; the update itself
        runs in ``contributions`` (its LOADs, deadline and history: ``operator_update.py``)."""
        authorize_update(authorization, self.admin_hash)
        if (too_large := guard_problem(op.text, update=True)) is not None:
            raise QueryFailed(400, too_large)
        if (unsafe := update_problem(op.text)) is not None:
            raise QueryFailed(400, unsafe)
        check_outgoing(op.text, self.allow, base_iri)
        return add_using(op.text, op.default_graphs, op.named_graphs)

    def stats(self):
        """Store statistics, computed once per state of the store."""
        cached = self._stats
        if cached is not None and cached[0] == self.generation and self.pool is not None:
            return cached[1]
        stats = self.store.stats()
        self._stats = (self.generation, stats)
        return stats

    def close(self) -> None:
        self.backend.close()
