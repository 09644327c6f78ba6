"""The contribution service and the accounts file as the configuration names them."""

from __future__ import annotations

from pathlib import Path

from .accounts import Accounts
from .load_source import Fetcher
from .ratelimit import RateLimiter
from .writes import Contributions


def accounts_path(config) -> Path:
    """``accounts_file``, else ``accounts.json`` in the store directory (also for a remote store:
    the directory then holds only this file)."""
    return Path(config.accounts_file) if config.accounts_file else Path(config.store) / "accounts.json"


def accounts_for(config) -> Accounts:
    return Accounts(accounts_path(config), config.base_iri)


def contributions_for(store, config, *, lock=None, hooks=None) -> Contributions:
    return Contributions(store, accounts_for(config), admin_sha256=config.admin_token_sha256, lock=lock,
                         hooks=hooks, limiter=RateLimiter(int(config.write_rate_limit)),
                         fetcher=Fetcher(tuple(config.service_allow), int(config.max_body_bytes)),
                         update_timeout=float(config.update_timeout))
