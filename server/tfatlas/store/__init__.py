"""Stores of the atlas: the embedded Oxigraph store (default) and a remote SPARQL 1.1 server."""

from ..config import Config
from ..vocab import meta_graph
from .base import AtlasStore, LoadReport, Source, Stats, WriteEvent


def open_store(config: Config) -> AtlasStore:
    """The store the configuration names: remote when a store URL is set, else embedded."""
    if config.remote:
        from .remote import RemoteStore

        return RemoteStore(
            query_url=config.store_query_url,
            update_url=config.store_update_url,
            gsp_url=config.store_gsp_url,
            base_iri=config.base_iri,
            timeout=config.store_timeout,
            dialect=config.store_dialect,
        )
    from .embedded import EmbeddedStore

    return EmbeddedStore(config.store, config.base_iri)


__all__ = ["AtlasStore", "LoadReport", "Source", "Stats", "WriteEvent", "meta_graph", "open_store"]
