"""The Flask application factory (the pattern of Flask's tutorial app)."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from .. import search
from ..config import Config, load_config
from ..store import AtlasStore, open_store
from . import errors, security_headers, sessions
from .blueprints import api, downloads, edit, finder, graph_store, link_review, metrics, ops, pages, reconcile, sparql


def create_app(config: Config | None = None, store: AtlasStore | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    app.config["TFATLAS"] = config
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.extensions["tfatlas.store"] = store = store or open_store(config)
    # Before the first request: the text index is checked against the store (rebuilt when stale).
    search.attach_configured(store, config)

    # CORS for reads: any origin, never credentials; flask-cors answers preflights before any auth.
    CORS(app, origins="*", send_wildcard=True, supports_credentials=False, max_age=86400)
    metrics.init_app(app)
    errors.init_app(app)
    security_headers.init_app(app)
    sessions.init_app(app)

    for blueprint in (ops.bp, pages.bp, api.bp, finder.bp, downloads.bp, sparql.bp, metrics.bp,
                      graph_store.bp, edit.bp, reconcile.bp, link_review.bp):
        app.register_blueprint(blueprint)
    return app
