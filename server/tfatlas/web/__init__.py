"""The web layer: a Flask app factory with thin blueprints over the core."""

from .app import create_app

__all__ = ["create_app"]
