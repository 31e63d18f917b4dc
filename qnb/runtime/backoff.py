"""Bounded exponential backoff with jitter (FR-007).

Deterministic for a given ``random.Random`` so a seeded run retries on the same schedule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.05
    max_s: float = 1.0
    multiplier: float = 2.0
    jitter: float = 0.2          # +/- fraction of the delay
    max_attempts: int = 3

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number ``attempt`` (1 = first retry); never above ``max_s``."""
        base = min(self.max_s, self.initial_s * self.multiplier ** max(0, attempt - 1))
        spread = base * self.jitter
        return max(0.0, min(self.max_s, base + rng.uniform(-spread, spread)))

    def schedule(self, rng: random.Random) -> list[float]:
        return [self.delay(i, rng) for i in range(1, self.max_attempts)]
