"""The blueprints of the web app, one per group of routes; each exposes ``bp``."""
