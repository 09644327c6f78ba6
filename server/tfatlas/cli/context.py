"""What every command shares: the effective configuration and, opened on first use, the store."""

from __future__ import annotations

import contextlib
import errno
import os
import sys

import click

from ..config import Config, load_config
from ..store import AtlasStore, open_store


class Session:
    def __init__(self, config_file: str | None, overrides: dict):
        self._config_file = config_file
        self._overrides = overrides
        self._config: Config | None = None
        self._store: AtlasStore | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(cli=self._overrides, config_file=self._config_file)
        return self._config

    def override(self, **values) -> None:
        """Command-level options (e.g. serve --port) take precedence over everything else."""
        self._overrides.update({k: v for k, v in values.items() if v is not None})
        self._config = None

    @property
    def store(self) -> AtlasStore:
        if self._store is None:
            self._store = open_store(self.config)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_context = click.make_pass_decorator(Session)


@contextlib.contextmanager
def reader_may_stop():
    """`tfatlas query ... | head`: a reader that closes the pipe early is success, not an error
    (click would exit 1 on EPIPE)."""
    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that flush quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
