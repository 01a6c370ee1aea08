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
    inputs._sigma_memo.clear()
    assert np.array_equal(again, dist.ppf(u))  # a hit is what the computation gives
    # other uniforms, or other parameters, are computed afresh
    other = u.copy()
    other[17] = 0.5
    assert dist.ppf(other)[17] != again[17]
    assert not np.array_equal(ReferenceSigma(shape=7.5, scale=1.0).ppf(u), again)
    for k in range(inputs._SIGMA_MEMO_ENTRIES + 5):
        dist.ppf(np.full(2000, (k + 1) / 100))
    assert len(inputs._sigma_memo) == inputs._SIGMA_MEMO_ENTRIES


def test_simulate_totals_are_simulates_totals():
    """The backtest's totals-only runs (engine.run.simulate_totals) hold exactly the draws of
    simulate(), for a plain scenario, a two-segment one and a mixture."""
    from leapforecast.engine.run import simulate, simulate_totals
    from leapforecast.model.files import bundled_scenarios
    from leapforecast.model.scenario import load_scenario

    names = ["base", "bear", "default"]
    mixtures = [n for n in bundled_scenarios() if load_scenario(n).mixture is not None]
    for name in names + mixtures[:1]:
        sc = load_scenario(name)
        full = simulate(sc, paths=70_000, seed=11).totals
        assert full is not None
        mine = simulate_totals(sc, paths=70_000, seed=11)
        assert mine.dtype == np.float32 and np.array_equal(mine, full), name


def test_builtin_peers_are_parsed_once_and_handed_out_as_copies():
    from leapforecast.data.peers import load_peers

    first = load_peers()
    first.pop(next(iter(first)))
    again = load_peers("builtin:peers")
    assert len(again) == len(first) + 1
    assert again == load_peers()
