"""The radix-select quantiles must be bit-for-bit np.quantile, whatever the data."""

import numpy as np
import pytest

from leapforecast.engine.quantiles import order_statistics, quantiles
from leapforecast.engine.results import QUANTILES

PROBS = [np.asarray(QUANTILES) / 100, np.array([0.0, 0.5, 1.0]), np.array([1e-9, 0.999999])]


def _cases(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    spiky = np.abs(rng.standard_normal(n)).astype(np.float32)
    spiky[::7] = -0.0
    with_nan = np.abs(rng.standard_normal(n)).astype(np.float32)
    with_nan[::5] = np.nan
    with np.errstate(over="ignore"):
        huge = np.exp(rng.standard_normal(n) * 20).astype(np.float32)  # includes +inf
    return {
        "lognormal": (np.exp(rng.standard_normal(n) * 0.3) * 1e6).astype(np.float32),
        "narrow": (1e6 + rng.standard_normal(n)).astype(np.float32),
        "ties": rng.integers(0, 5, n).astype(np.float32) * 1e5,
        "constant": np.full(n, 7.0, np.float32),
        "capped": np.minimum((rng.random(n) * 2e6).astype(np.float32), np.float32(1e6)),
        "zeros": np.zeros(n, np.float32),
        "negative zeros": np.full(n, -0.0, np.float32),
        "signed": rng.standard_normal(n).astype(np.float32),
        "some -0.0": spiky,
        "some NaN": with_nan,
        "huge and inf": huge,
        "float64": rng.standard_normal(n),
    }


@pytest.mark.parametrize(
    "n", [1, 2, 3, 10, 2499, 2500, 4095, 4096, 5000, 20_000, 65_536, 300_007, 1_100_000]
)
def test_bit_for_bit_numpy(n):
    rng = np.random.default_rng(n)
    for name, values in _cases(n, rng).items():
        for probs in PROBS:
            with np.errstate(invalid="ignore"):
                expected = np.quantile(values, probs).astype(np.float64)
                got = quantiles(values, probs)
            assert got.tobytes() == expected.tobytes(), (name, n, probs, got, expected)


def test_order_statistics_are_the_sorted_values():
    rng = np.random.default_rng(0)
    values = (np.exp(rng.standard_normal(100_000)) * 1e5).astype(np.float32)
    ks = np.array([0, 1, 4_999, 50_000, 99_998, 99_999])
    assert np.array_equal(order_statistics(values, ks), np.sort(values)[ks])


def test_empty_is_refused():
    with pytest.raises(ValueError):
        quantiles(np.zeros(0, np.float32), [0.5])
