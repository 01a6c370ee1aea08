"""Issue 18 (answer time): the shortcuts that make commands faster give exactly the numbers the
long way gives."""

from __future__ import annotations

import numpy as np

from leapforecast.model import inputs
from leapforecast.model.inputs import ReferenceSigma


def test_reference_sigma_memo_returns_the_computed_values_and_a_private_copy():
    dist = ReferenceSigma(shape=7.5, scale=0.9)
    u = np.random.default_rng(3).random(5000)
    inputs._sigma_memo.clear()
    first = dist.ppf(u)
    assert len(inputs._sigma_memo) == 1
    first[:] = -1.0  # a caller scribbling on its result does not reach the memo
    again = dist.ppf(u.copy())
    from scipy.special import gammainccinv

    assert np.array_equal(again, np.sqrt(0.9 / gammainccinv(7.5, u)))
    # other uniforms, or other parameters, are computed afresh
    other = u.copy()
    other[17] = 0.5
    assert dist.ppf(other)[17] != again[17]
    assert not np.array_equal(ReferenceSigma(shape=7.5, scale=1.0).ppf(u), again)
    for k in range(inputs._SIGMA_MEMO_ENTRIES + 5):
        dist.ppf(np.full(2000, (k + 1) / 100))
    assert len(inputs._sigma_memo) == inputs._SIGMA_MEMO_ENTRIES
