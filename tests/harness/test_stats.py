"""Statistics of the harness tables (FR-013): Wilson intervals, percentiles, bootstrap CIs."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnb.errors import QnbError
from qnb.harness.stats import bootstrap_ci, median, p95, percentile, wilson_interval


# Published Wilson score intervals (95 %, z = 1.95996): 0/10 -> [0, 0.2775], 5/10 -> [0.2366, 0.7634],
# 10/10 -> [0.7225, 1]. They follow from (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
@pytest.mark.parametrize("k,n,lo,hi", [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0)])
def test_wilson_known_values(k, n, lo, hi):
    a, b = wilson_interval(k, n)
    assert a == pytest.approx(lo, abs=1e-4)
    assert b == pytest.approx(hi, abs=1e-4)


def test_wilson_matches_formula_by_hand():
    # 3 of 20 at 90 %: z = 1.644854
    z, n, p = 1.6448536269514722, 20, 3 / 20
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson_interval(3, 20, 0.90) == pytest.approx((center - half, center + half), abs=1e-12)


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_properties(kn):
    k, n = kn
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    # symmetry: failures mirror successes
    lo2, hi2 = wilson_interval(n - k, n)
    assert lo == pytest.approx(1 - hi2, abs=1e-12)
    # a wider confidence gives a wider interval
    wlo, whi = wilson_interval(k, n, 0.99)
    assert wlo <= lo + 1e-12 and whi >= hi - 1e-12


def test_wilson_narrows_with_more_data():
    w10 = wilson_interval(5, 10)
    w1000 = wilson_interval(500, 1000)
    assert (w1000[1] - w1000[0]) < (w10[1] - w10[0]) / 5


def test_wilson_empty_and_bad_input():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(QnbError, match="successes"):
        wilson_interval(3, 2)
    with pytest.raises(QnbError, match="confidence"):
        wilson_interval(1, 2, confidence=1.5)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_agrees_with_numpy(values, p):
    assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)), rel=1e-9, abs=1e-6)


def test_percentile_skips_missing_values():
    assert median([1.0, None, 3.0, float("nan")]) == 2.0
    assert math.isnan(p95([]))
    assert math.isnan(p95([None]))
    with pytest.raises(QnbError, match="percentile"):
        percentile([1.0], 101)


def test_bootstrap_is_deterministic_and_brackets_the_mean():
    rng = np.random.default_rng(1)
    values = list(rng.normal(0.9, 0.02, size=40))
    a = bootstrap_ci(values, seed=3)
    assert a == bootstrap_ci(values, seed=3)
    assert a[0] < float(np.mean(values)) < a[1]
    assert min(values) <= a[0] and a[1] <= max(values)


def test_bootstrap_width_shrinks_with_sample_size():
    rng = np.random.default_rng(2)
    small = bootstrap_ci(list(rng.normal(0, 1, 10)), seed=0, resamples=500)
    large = bootstrap_ci(list(rng.normal(0, 1, 1000)), seed=0, resamples=500)
    assert (large[1] - large[0]) < (small[1] - small[0]) / 4


def test_bootstrap_degenerate_inputs():
    assert bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    assert bootstrap_ci([0.7]) == (0.7, 0.7)
    lo, hi = bootstrap_ci([None, float("nan")])
    assert math.isnan(lo) and math.isnan(hi)
    with pytest.raises(QnbError, match="resamples"):
        bootstrap_ci([1.0, 2.0], resamples=0)
