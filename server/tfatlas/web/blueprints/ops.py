"""Operational endpoints under /-/ (the datasette convention)."""

from flask import Blueprint, current_app, jsonify

from ...version import __version__
from ..deps import get_store

bp = Blueprint("ops", __name__, url_prefix="/-")


@bp.get("/health")
def health():
    # 200 only when the store really answers a query, so a load balancer can rely on it.
    if get_store(current_app).ping():
        return jsonify(status="ok")
    return jsonify(status="unavailable", message="the store does not answer queries"), 503


@bp.get("/version")
def version():
    import pyoxigraph

    return jsonify(tfatlas=__version__, pyoxigraph=getattr(pyoxigraph, "__version__", "unknown"))
