"""leapforecast: Monte Carlo sales-scenario forecasting.

>>> import leapforecast as lf
>>> sc = lf.load_scenario()                 # the bundled base scenario
>>> res = lf.simulate(sc, paths=20_000, seed=7)
>>> res.summary()                            # pandas DataFrame, one row per year
>>> res.probability(1_000_000, 2026)

Heavy modules load on first use, so ``import leapforecast`` stays cheap. The analysis
functions live in modules of the same name: ``from leapforecast.compare import compare``
(likewise ``sensitivity``, ``sweep``, ``nowcast``, ``backtest``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leapforecast._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from leapforecast.engine import simulate
    from leapforecast.errors import HistoryError, LeapforecastError, ScenarioError, UsageError
    from leapforecast.history import History, load_history
    from leapforecast.results import SimulationResult
    from leapforecast.scenario import Scenario, load_scenario

_LAZY = {
    "simulate": "engine",
    "load_history": "history",
    "History": "history",
    "load_scenario": "scenario",
    "Scenario": "scenario",
    "SimulationResult": "results",
    "LeapforecastError": "errors",
    "ScenarioError": "errors",
    "HistoryError": "errors",
    "UsageError": "errors",
    "parse_units": "units",
    "load_targets": "targets",
    "load_peers": "peers",
    "load_monthly": "monthly",
    "year_to_date": "nowcast",
    "solve": "sweep",
    "fit_history": "fit",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'leapforecast' has no attribute {name!r}")
