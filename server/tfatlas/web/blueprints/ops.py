"""Operational endpoints under /-/ (the datasette convention)."""

from flask import Blueprint, current_app, jsonify

from ...version import __version__
from ..deps import get_store

bp = Blueprint("ops", __name__, url_prefix="/-")


@bp.get("/health")
def health():
    # 200 only when the store really answers a query and can write, so a load balancer and an
    # operator can rely on it; a fault (a full disk) is named, and checked again on every call.
    store = get_store(current_app)
    fault = store.fault()
    if fault is not None:
        return jsonify(status="degraded", message=fault), 503
    if store.ping():
        return jsonify(status="ok")
    return jsonify(status="unavailable", message="the store does not answer queries"), 503


@bp.get("/version")
def version():
    import pyoxigraph

    return jsonify(tfatlas=__version__, pyoxigraph=getattr(pyoxigraph, "__version__", "unknown"))
