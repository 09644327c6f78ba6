"""What a request needs from the app, looked up once per app (Flask tutorial's ``get_db`` pattern).

Blueprints import these, never the app factory, so that no blueprint and the factory import each
other.
"""

from __future__ import annotations

from flask import Flask, current_app

from .. import search
from ..finder import StateCache, StoreState
from ..sparql.service import QueryService
from ..sparql.stored_queries import Catalogue
from ..store import AtlasStore


def get_store(app: Flask | None = None) -> AtlasStore:
    return (app or current_app).extensions["tfatlas.store"]


def get_search_index(app: Flask | None = None) -> search.SearchIndex:
    """The store's text index, reconciled first when the store has a write it has not reflected."""
    return search.current(get_store(app))


def get_query_service(app: Flask | None = None) -> QueryService:
    return (app or current_app).extensions["tfatlas.query_service"]


def get_catalogue(app: Flask | None = None) -> Catalogue:
    """The stored queries under the store's base IRI, re-read when their files change."""
    ext = (app or current_app).extensions
    if "tfatlas.queries" not in ext:
        ext["tfatlas.queries"] = Catalogue(base_iri=get_store(app).base_iri)
    return ext["tfatlas.queries"]


def store_state(app: Flask | None = None) -> StoreState:
    """The finder's cache with the generation of the store's state this request reads.

    The generation is the query service's write generation (it follows the store's write hook);
    a remote store has none that covers other writers: no cache.
    """
    ext = (app or current_app).extensions
    if "tfatlas.finder_cache" not in ext:
        ext["tfatlas.finder_cache"] = StateCache()
    service = ext.get("tfatlas.query_service")
    pool = getattr(service, "pool", None)
    return StoreState(ext["tfatlas.finder_cache"], pool.generation if pool is not None else None)


def get_reconcile_service(app: Flask | None = None):
    """The reconciliation service over the store (its entity index follows the store's writes)."""
    from ..linking.reconcile import ReconcileService, Settings

    app = app or current_app
    ext = app.extensions
    if "tfatlas.reconcile" not in ext:
        config = app.config["TFATLAS"]
        ext["tfatlas.reconcile"] = ReconcileService(
            get_store(app), Settings(config.reconcile_match_score, config.reconcile_match_margin))
    return ext["tfatlas.reconcile"]


def get_contributions(app: Flask | None = None):
    """Actors' writes (issue 10): one service per app, serialised with the operator's updates."""
    from ..contributions.setup import contributions_for

    app = app or current_app
    ext = app.extensions
    if "tfatlas.contributions" not in ext:
        service = ext.get("tfatlas.query_service")
        lock = getattr(service, "_update_lock", None)
        store = get_store(app)

        def reindex(notice) -> None:  # queued: the write's answer does not wait for the index
            search.update(store, search.subjects(notice.added, notice.removed, notice.after or ()), wait=False)

        ext["tfatlas.contributions"] = contributions_for(store, app.config["TFATLAS"], lock=lock,
                                                         hooks=[reindex])
    return ext["tfatlas.contributions"]
