"""Rate limits with the `limits` library's moving window (lesson 09), counted in this process.

The board runs as one process, so memory storage counts every request; the synchronous
window does no I/O, so it runs on the event loop directly.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from shiplings.board.errors import BoardError


class Limiter:
    def __init__(self) -> None:
        self.window = MovingWindowRateLimiter(MemoryStorage())

    def spend(self, limit_text: str, scope: str, who: str) -> None:
        """Count one request of `who`; past the limit raise a 429 with Retry-After."""
        limit = parsed(limit_text)
        if self.window.hit(limit, scope, who):
            return
        stats = self.window.get_window_stats(limit, scope, who)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise BoardError(429, f"Too many requests: try again in {wait} s.", headers={"Retry-After": str(wait)})


@lru_cache
def parsed(text: str) -> RateLimitItem:
    return parse(text)
