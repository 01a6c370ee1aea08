"""leapforecast: Monte Carlo sales-scenario forecasting.

>>> import leapforecast as lf
>>> sc = lf.load_scenario()                 # the bundled default scenario
>>> res = lf.simulate(sc, paths=20_000, seed=7)
>>> res.summary()                            # pandas DataFrame, one row per year
>>> res.probability(1_000_000, 2026)
>>> lf.compare([lf.load_scenario("bear"), lf.load_scenario("bull")], paths=20_000)

Heavy modules load on first use, so ``import leapforecast`` stays cheap (neither pandas nor
scipy). The package is layered: ``data`` -> ``model`` -> ``engine`` -> ``analysis`` ->
``report`` -> ``cli``; this module re-exports the library's entry points from those layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leapforecast._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from leapforecast.analysis.backtest import backtest
    from leapforecast.analysis.compare import compare
    from leapforecast.analysis.fit import fit_history
    from leapforecast.analysis.nowcast import nowcast, year_to_date
    from leapforecast.analysis.sensitivity import sensitivity
    from leapforecast.analysis.sweep import solve, sweep
    from leapforecast.data.history import History, load_history
    from leapforecast.data.monthly import load_monthly
    from leapforecast.data.peers import load_peers
    from leapforecast.data.targets import load_targets
    from leapforecast.engine.results import SimulationResult
    from leapforecast.engine.run import simulate
    from leapforecast.errors import HistoryError, LeapforecastError, ScenarioError, UsageError
    from leapforecast.model.scenario import Scenario, load_scenario
    from leapforecast.units import parse_units

# public name -> the module (below this package) that defines it
_LAZY = {
    "simulate": "engine.run",
    "SimulationResult": "engine.results",
    "load_history": "data.history",
    "History": "data.history",
    "load_targets": "data.targets",
    "load_peers": "data.peers",
    "load_monthly": "data.monthly",
    "load_scenario": "model.scenario",
    "Scenario": "model.scenario",
    "compare": "analysis.compare",
    "sensitivity": "analysis.sensitivity",
    "sweep": "analysis.sweep",
    "solve": "analysis.sweep",
    "nowcast": "analysis.nowcast",
    "year_to_date": "analysis.nowcast",
    "backtest": "analysis.backtest",
    "fit_history": "analysis.fit",
    "LeapforecastError": "errors",
    "ScenarioError": "errors",
    "HistoryError": "errors",
    "UsageError": "errors",
    "parse_units": "units",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'leapforecast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
