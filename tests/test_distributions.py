"""Each distribution's ppf and mean against scipy.stats; validation of impossible parameters."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from leapforecast.model._beta import _betaincinv
from leapforecast.model.distributions import Dist

ADAPTER = TypeAdapter(Dist)
U = np.concatenate([np.linspace(0.0005, 0.9995, 2001), [1e-9, 0.005, 0.995, 1 - 1e-9]])


def make(spec):
    return ADAPTER.validate_python(spec)


def pert_frozen(low, mode, high, lamb=4.0):
    a = 1 + lamb * (mode - low) / (high - low)
    b = 1 + lamb * (high - mode) / (high - low)
    return stats.beta(a, b, loc=low, scale=high - low)


CASES = [
    (0.3, stats.uniform(0.3, 0.0)),
    ({"dist": "normal", "mean": 0.2, "sd": 0.1}, stats.norm(0.2, 0.1)),
    ({"dist": "lognormal", "mu": 13.0, "sigma": 0.2}, stats.lognorm(0.2, scale=np.exp(13.0))),
    ({"dist": "uniform", "low": 900_000, "high": 1_200_000}, stats.uniform(900_000, 300_000)),
    (
        {"dist": "triangular", "low": -0.1, "mode": -0.05, "high": 0.0},
        stats.triang(0.5, loc=-0.1, scale=0.1),
    ),
    ({"dist": "pert", "low": 0.15, "mode": 0.45, "high": 0.75}, pert_frozen(0.15, 0.45, 0.75)),
    (
        {"dist": "pert", "low": 0.0, "mode": 0.05, "high": 1.0, "lamb": 6},
        pert_frozen(0.0, 0.05, 1.0, 6),
    ),
    (
        {"dist": "beta", "alpha": 0.5, "beta": 2.5, "low": 0.1, "high": 0.9},
        stats.beta(0.5, 2.5, loc=0.1, scale=0.8),
    ),
]


@pytest.mark.parametrize(("spec", "frozen"), CASES)
def test_ppf_and_mean_match_scipy(spec, frozen):
    dist = make(spec)
    expected = frozen.ppf(U) if not dist.is_fixed else np.full(U.shape, 0.3)
    assert np.allclose(dist.ppf(U), expected, rtol=1e-9, atol=1e-9 * max(1.0, abs(expected).max()))
    if not dist.is_fixed:
        assert dist.mean() == pytest.approx(frozen.mean(), rel=1e-6, abs=1e-9)


def test_lognormal_by_interval():
    d = make({"dist": "lognormal", "p5": 800_000, "p95": 1_300_000})
    assert d.quantile(0.05) == pytest.approx(800_000)
    assert d.quantile(0.95) == pytest.approx(1_300_000)


def test_choice_weights():
    d = make({"dist": "choice", "values": [1, 2, 3], "weights": [1, 0, 3]})
    draws = d.ppf(np.random.default_rng(0).random(100_000))
    assert set(np.unique(draws)) == {1.0, 3.0}
    assert (draws == 3).mean() == pytest.approx(0.75, abs=0.01)
    assert d.mean() == pytest.approx(2.5)


@pytest.mark.parametrize("shape", [(2.0, 3.3), (1.0, 5.0), (0.3, 2.0), (30.0, 2.0), (200.0, 300.0)])
def test_fast_beta_quantiles_agree_with_scipy(shape):
    from scipy.special import betaincinv

    u = np.random.default_rng(1).random(200_000)
    assert np.abs(_betaincinv(*shape, u) - betaincinv(*shape, u)).max() < 1e-9


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"dist": "pert", "low": 0.8, "mode": 0.3, "high": 0.7}, "must not exceed high"),
        ({"dist": "triangular", "low": 0.1, "mode": 0.9, "high": 0.5}, "must lie between"),
        ({"dist": "uniform", "low": float("nan"), "high": 1}, "finite"),
        ({"dist": "normal", "mean": 0, "sd": -1}, "greater than or equal"),
        ({"dist": "normal", "mean": "1", "sd": 1}, "valid number"),
        ({"dist": "lognormal", "p5": 10, "p95": 5}, "below p95"),
        ({"dist": "lognormal", "p5": 10}, "both p5 and p95"),
        ({"dist": "choice", "values": [1, 2], "weights": [1]}, "weights has 1"),
        ({"dist": "beta", "alpha": 0, "beta": 1}, "greater than 0"),
        ({"dist": "normall", "mean": 0, "sd": 1}, "normall"),
    ],
)
def test_impossible_parameters_rejected(spec, fragment):
    with pytest.raises(ValidationError) as info:
        make(spec)
    assert fragment in str(info.value)


def test_warm_cache_run_needs_no_scipy(tmp_path):
    """The quantile tables are cached on disk, so a repeated default run never imports SciPy."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "LEAPFORECAST_CACHE": str(tmp_path)}
    code = (
        "import sys\n"
        "from leapforecast.cli import main\n"
        "sys.argv = ['leapforecast', 'run', 'base', '-n', '2000', '-f', 'csv']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = any(m.startswith('scipy') for m in sys.modules)\n"
        "sys.stderr.write('SCIPY' if loaded else 'CLEAN')\n"
    )
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert first.stderr.endswith("SCIPY"), first.stderr  # builds and caches the tables
    assert list(tmp_path.glob("beta-*.npy"))
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert second.stderr.endswith("CLEAN"), second.stderr
    assert first.stdout == second.stdout  # cached tables give identical results


def test_unwritable_cache_is_ignored(tmp_path, monkeypatch):
    import leapforecast.model._beta as d

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LEAPFORECAST_CACHE", str(blocker / "sub"))
    monkeypatch.setattr(d, "_BETA_TABLES", {})
    u = np.linspace(0.001, 0.999, 101)
    from scipy.special import betaincinv

    assert np.abs(_betaincinv(2.5, 3.5, u) - betaincinv(2.5, 3.5, u)).max() < 1e-9


@pytest.mark.parametrize("damage", ["nan", "truncated", "garbage", "decreasing"])
def test_damaged_cache_entry_is_rebuilt(tmp_path, monkeypatch, damage):
    """A damaged table on disk is never trusted: it is rebuilt (and rewritten) from SciPy."""
    import leapforecast.model._beta as d

    monkeypatch.setenv("LEAPFORECAST_CACHE", str(tmp_path))
    monkeypatch.setattr(d, "_BETA_TABLES", {})
    monkeypatch.setattr(d, "_BETA_CUBICS", {})
    u = np.linspace(0.001, 0.999, 101)
    good = d._betaincinv(2.5, 3.5, u)
    (entry,) = tmp_path.glob("beta-*.npy")
    table = np.load(entry)
    if damage == "nan":
        np.save(entry, np.full_like(table, np.nan))
    elif damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:1000])
    elif damage == "garbage":
        entry.write_bytes(b"not a numpy file")
    else:
        np.save(entry, table[:, ::-1].copy())
    monkeypatch.setattr(d, "_BETA_TABLES", {})
    monkeypatch.setattr(d, "_BETA_CUBICS", {})
    assert np.array_equal(d._betaincinv(2.5, 3.5, u), good)
    assert d._valid_table(np.load(entry))  # rewritten


def test_cache_is_bounded(tmp_path, monkeypatch):
    import leapforecast.model._beta as d

    monkeypatch.setenv("LEAPFORECAST_CACHE", str(tmp_path))
    monkeypatch.setattr(d, "_BETA_TABLES", {})
    monkeypatch.setattr(d, "MAX_CACHE_FILES", 3)
    for a in (1.5, 2.0, 2.5, 3.0, 3.5):
        d._beta_table(a, 2.0)
    assert len(list(tmp_path.glob("beta-*.npy"))) == 3


@pytest.mark.parametrize("weights", [[1e308, 1e308], [1.0, 1.0], [3e307, 3e307]])
def test_choice_weights_do_not_overflow(weights):
    from leapforecast.model.distributions import Choice

    dist = Choice(dist="choice", values=[1.0, 2.0], weights=weights)
    draws = dist.ppf(np.linspace(0.001, 0.999, 1000))
    assert (draws == 1.0).mean() == pytest.approx(0.5, abs=0.002)
    assert dist.mean() == pytest.approx(1.5)


def test_choice_weights_must_be_finite():
    from pydantic import ValidationError

    from leapforecast.model.distributions import Choice

    with pytest.raises(ValidationError, match="finite"):
        Choice(dist="choice", values=[1.0, 2.0], weights=[float("inf"), 1.0])
