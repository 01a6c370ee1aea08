"""``tables_for(result)``: the Rich renderables of any result type, one builder per type.

``emit()`` in the CLI calls this for ``--format table``, so a command never picks a builder
itself; a new result type registers its builder here.

The registry names types and builders by dotted path and imports only the builder the result
needs: importing every analysis module to register its result type cost each command's
start-up the imports of all the others (about 35 ms of `leapforecast scenarios`).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    Builder = Callable[[object], list[RenderableType]]

# "module.Class" of a result type -> "report module:builder function"
_BUILDERS: dict[str, str] = {
    "leapforecast.engine.results.SimulationResult": "run:result_tables",
    "leapforecast.analysis.compare.Comparison": "analysis:comparison_tables",
    "leapforecast.analysis.outside.RunWithOutside": "run:run_outside_tables",
    "leapforecast.analysis.outside.ComparisonWithOutside": "analysis:comparison_outside_tables",
    "leapforecast.analysis.outside.NowcastWithOutside": "nowcast:nowcast_outside_tables",
    "leapforecast.analysis.sensitivity.SensitivityReport": "analysis:sensitivity_tables",
    "leapforecast.analysis.sensitivity.MixtureSensitivity": "analysis:mixture_sensitivity_tables",
    "leapforecast.analysis.sweep.Sweep": "analysis:sweep_tables",
    "leapforecast.analysis.sweep.BreakEven": "analysis:break_even_tables",
    "leapforecast.analysis.fit.FitReport": "validity:fit_tables",
    "leapforecast.data.peers.PeerReport": "validity:peers_tables",
    "leapforecast.analysis.calibrate.Calibration": "validity:calibration_tables",
    "leapforecast.data.history.History": "history:history_tables",
    "leapforecast.data.history.HistoryReport": "history:history_tables",
    "leapforecast.analysis.monthly_report.MonthlyReport": "history:monthly_tables",
    "leapforecast.data.targets.TrackRecord": "history:track_record_tables",
    "leapforecast.analysis.nowcast.NowcastResult": "nowcast:nowcast_tables",
    "leapforecast.model.catalog.ScenarioCatalog": "catalog:catalog_tables",
}


def _builder(result: object) -> Builder | None:
    for cls in type(result).__mro__:  # the most specific registered type, as singledispatch
        target = _BUILDERS.get(f"{cls.__module__}.{cls.__qualname__}")
        if target is not None:
            module, name = target.split(":")
            builder: Builder = getattr(import_module(f"leapforecast.report.{module}"), name)
            return builder
    return None


def tables_for(result: object) -> list[RenderableType]:
    """The Rich renderables (tables and notes) that show ``result`` on a terminal."""
    builder = _builder(result)
    if builder is None:
        raise TypeError(f"no table builder for {type(result).__name__}")
    return builder(result)
