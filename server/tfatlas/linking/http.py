"""Outgoing calls to registries: only to allowed IRIs, with timeouts, retries with backoff, a
polite User-Agent and a cache of answers.

The allow-list is the one of SERVICE (``TFATLAS_SERVICE_ALLOW``): an operator who lets queries
reach a registry lets the link client reach it, and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Callable, TypeVar

import requests

from ..errors import AtlasError
from ..sparql.access import allowed
from ..version import __version__

log = logging.getLogger(__name__)
USER_AGENT = (f"Transformationsatlas/{__version__} (tfatlas link; linked-data atlas of the German "
              f"federal administration; https://w3id.org/tfatlas/) python-requests/{requests.__version__}")
T = TypeVar("T")


class RegistryError(AtlasError):
    """A registry that cannot be reached, refuses, or answers nonsense; nothing was written."""

    exit_code = 2
    status = 502


class RegistryClient:
    def __init__(self, allow: tuple[str, ...], timeout: float, retries: int, cache_dir: str | Path | None,
                 backoff: float = 0.5):
        self.allow = allow
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.cache = Path(cache_dir) if cache_dir else None
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.requests = 0  # sent, not answered from the cache

    @classmethod
    def from_config(cls, config) -> "RegistryClient":
        return cls(tuple(config.service_allow), config.link_timeout, config.link_retries,
                   config.link_cache_dir or None)

    def check(self, url: str) -> None:
        if not allowed(url, self.allow):
            listed = ", ".join(self.allow) if self.allow else "none are configured"
            raise RegistryError(f"the registry {url} is not on the allow-list (TFATLAS_SERVICE_ALLOW: "
                                f"{listed}); add its prefix to link with it. No connection was made. "
                                f"(Register nicht freigegeben; keine Verbindung aufgebaut.)")

    def _cached(self, key: str) -> Path | None:
        if self.cache is None:
            return None
        return self.cache / (hashlib.sha256(key.encode()).hexdigest() + ".json")

    def call(self, url: str, key: str, send: Callable[[], T], encode: Callable[[T], object],
             decode: Callable[[object], T]) -> T:
        """``send`` once per attempt (a timeout, a connection error, 429 or 5xx is retried after
        0.5 s, 1 s, 2 s, ...); a success is cached under ``key``."""
        self.check(url)
        path = self._cached(key)
        if path is not None and path.exists():
            try:
                return decode(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, KeyError):
                path.unlink(missing_ok=True)  # a damaged entry is asked again
        last: Exception | None = None
        for attempt in range(self.retries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                self.requests += 1
                value = send()
            except _Retry as exc:
                last = exc.__cause__ or exc
                log.warning("registry %s: attempt %d failed: %s", url, attempt + 1, last)
                continue
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(encode(value), ensure_ascii=False), encoding="utf-8")
                tmp.replace(path)
            return value
        raise RegistryError(f"the registry {url} did not answer after {self.retries} attempts "
                            f"({last}); nothing was changed (das Register antwortet nicht; "
                            f"nichts wurde geändert)")

    def get_json(self, url: str, params: dict | None = None, data: dict | None = None) -> object:
        key = json.dumps(["json", url, params, data], sort_keys=True)

        def send():
            try:
                response = (self.session.post(url, data=data, timeout=self.timeout) if data is not None
                            else self.session.get(url, params=params, timeout=self.timeout))
            except requests.RequestException as exc:
                raise _Retry() from exc
            _raise_for(response, url)
            try:
                return response.json()
            except ValueError:
                raise RegistryError(f"the registry {url} answered something that is not JSON") from None

        return self.call(url, key, send, lambda v: v, lambda v: v)

    def get_bytes(self, url: str) -> bytes:
        def send():
            try:
                response = self.session.get(url, timeout=self.timeout)
            except requests.RequestException as exc:
                raise _Retry() from exc
            _raise_for(response, url)
            return response.content

        return self.call(url, json.dumps(["bytes", url]), send, lambda b: b.decode("utf-8"),
                         lambda s: s.encode("utf-8"))


class _Retry(Exception):
    """An attempt that may succeed when repeated."""


def _raise_for(response: requests.Response, url: str) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise _Retry() from RuntimeError(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise RegistryError(f"the registry {url} refused the request: HTTP {response.status_code} "
                            f"{response.text[:200]!r}")
