"""Transformationsatlas: the knowledge graph of the federal administration's transformation network."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("transformationsatlas")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
