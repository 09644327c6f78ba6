"""The installed version of the atlas (a module of its own, so that no module imports the package)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("transformationsatlas")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
