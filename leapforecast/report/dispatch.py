"""``tables_for(result)``: the Rich renderables of any result type, one builder per type.

``emit()`` in the CLI calls this for ``--format table``, so a command never picks a builder
itself; a new result type registers its builder here.
"""

from __future__ import annotations

from functools import singledispatch
from typing import TYPE_CHECKING

from leapforecast.analysis.calibrate import Calibration
from leapforecast.analysis.compare import Comparison
from leapforecast.analysis.fit import FitReport
from leapforecast.analysis.monthly_report import MonthlyReport
from leapforecast.analysis.nowcast import NowcastResult
from leapforecast.analysis.outside import ComparisonWithOutside, NowcastWithOutside, RunWithOutside
from leapforecast.analysis.sensitivity import MixtureSensitivity, SensitivityReport
from leapforecast.analysis.sweep import BreakEven, Sweep
from leapforecast.data.history import History, HistoryReport
from leapforecast.data.peers import PeerReport
from leapforecast.data.targets import TrackRecord
from leapforecast.engine.results import SimulationResult
from leapforecast.model.authoring import ScenarioCatalog
from leapforecast.report import analysis, catalog, history, nowcast, run, validity

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType


@singledispatch
def tables_for(result: object) -> list[RenderableType]:
    """The Rich renderables (tables and notes) that show ``result`` on a terminal."""
    raise TypeError(f"no table builder for {type(result).__name__}")


tables_for.register(SimulationResult, run.result_tables)
tables_for.register(Comparison, analysis.comparison_tables)
tables_for.register(RunWithOutside, run.run_outside_tables)
tables_for.register(ComparisonWithOutside, analysis.comparison_outside_tables)
tables_for.register(NowcastWithOutside, nowcast.nowcast_outside_tables)
tables_for.register(SensitivityReport, analysis.sensitivity_tables)
tables_for.register(MixtureSensitivity, analysis.mixture_sensitivity_tables)
tables_for.register(Sweep, analysis.sweep_tables)
tables_for.register(BreakEven, analysis.break_even_tables)
tables_for.register(FitReport, validity.fit_tables)
tables_for.register(PeerReport, validity.peers_tables)
tables_for.register(Calibration, validity.calibration_tables)
tables_for.register(History, history.history_tables)
tables_for.register(HistoryReport, history.history_tables)
tables_for.register(MonthlyReport, history.monthly_tables)
tables_for.register(TrackRecord, history.track_record_tables)
tables_for.register(NowcastResult, nowcast.nowcast_tables)
tables_for.register(ScenarioCatalog, catalog.catalog_tables)
