"""Small, dependency-light statistics for benchmark tables (FR-013 scientific hygiene).

Wall-clock figures vary run to run, so tables report the median and the 95th percentile over
repeats; a success rate gets a Wilson score interval (honest at 0 % and 100 %, unlike the normal
approximation); a fidelity gets a percentile bootstrap interval with a fixed seed, so the same rows
always print the same interval.
"""

from __future__ import annotations

import math
import random
from statistics import NormalDist
from typing import Callable, Iterable, Sequence

from ..errors import QnbError

__all__ = ["percentile", "median", "p95", "wilson_interval", "bootstrap_ci", "mean", "finite"]


def finite(values: Iterable[float | None]) -> list[float]:
    """The values that are real numbers (drops None and NaN: a failed run has no fidelity)."""
    out = []
    for v in values:
        if v is None:
            continue
        x = float(v)
        if not math.isnan(x):
            out.append(x)
    return out


def percentile(values: Iterable[float | None], p: float) -> float:
    """Linear-interpolation percentile (numpy's default ``linear`` method); NaN when empty."""
    if not 0.0 <= p <= 100.0:
        raise QnbError(f"percentile must be in [0, 100], got {p}", field="p", value=p)
    v = sorted(finite(values))
    if not v:
        return math.nan
    k = (len(v) - 1) * p / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def median(values: Iterable[float | None]) -> float:
    return percentile(values, 50.0)


def p95(values: Iterable[float | None]) -> float:
    return percentile(values, 95.0)


def mean(values: Iterable[float | None]) -> float:
    v = finite(values)
    return math.fsum(v) / len(v) if v else math.nan


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise QnbError(f"confidence must be in (0, 1), got {confidence}", field="confidence", value=confidence)
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / n``.

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. With ``n == 0`` nothing is known
    and the interval is ``(0, 1)``.
    """
    if n < 0 or successes < 0 or successes > n:
        raise QnbError(f"need 0 <= successes <= n, got successes={successes}, n={n}", field="successes")
    if n == 0:
        return (0.0, 1.0)
    z = _z(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, center - half)    # exact bounds at 0 % and 100 %
    hi = 1.0 if successes == n else min(1.0, center + half)
    return (lo, hi)


def bootstrap_ci(values: Sequence[float | None], statistic: Callable[[Sequence[float]], float] = mean,
                 confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``values`` (None/NaN dropped).

    Deterministic for a given ``seed``. One value gives a zero-width interval; none gives NaNs.
    """
    _z(confidence)
    if resamples < 1:
        raise QnbError(f"resamples must be >= 1, got {resamples}", field="resamples", value=resamples)
    v = finite(values)
    if not v:
        return (math.nan, math.nan)
    if len(v) == 1:
        return (v[0], v[0])
    rng = random.Random(seed)
    n = len(v)
    stats = sorted(statistic([v[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    alpha = (1.0 - confidence) / 2.0
    return (percentile(stats, 100 * alpha), percentile(stats, 100 * (1 - alpha)))
