"""Per-account rate limits: at most N accepted or refused writes per minute (a sliding window)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from .accounts import Account
from .errors import RateLimited


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def check(self, account: Account) -> None:
        """Count one write of ``account``; RateLimited (429, Retry-After) when over the limit."""
        if self.per_minute <= 0 or account.admin:
            return
        now = self._clock()
        with self._lock:
            window = self._seen.setdefault(account.id, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self.per_minute:
                wait = max(1, math.ceil(window[0] + 60 - now))
                raise RateLimited(
                    f"The account {account.id} sent more than {self.per_minute} writes in a minute; "
                    f"try again in {wait} s. Nothing was changed.",
                    f"Das Konto {account.id} hat mehr als {self.per_minute} Schreibzugriffe in einer "
                    f"Minute gesendet; bitte in {wait} s erneut versuchen. Es wurde nichts geändert.",
                    headers={"Retry-After": str(wait)})
            window.append(now)
