"""Plots with matplotlib (the optional ``plot`` extra): fan chart, exceedance curve, tornado.

matplotlib is imported on first use, and only its object-oriented API is used (``Figure``, not
``pyplot``), so nothing here touches global plotting state or needs a display. Saved files carry
no dates, so the same run gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from leapforecast.engine.results import QUANTILES, SimulationResult, resolve_year
from leapforecast.errors import LeapforecastError, UsageError
from leapforecast.report.output import check_destination, write_bytes
from leapforecast.units import short_units

FORMATS = ("png", "svg", "pdf")
BLUE = "#1f5fa8"
TARGET = "#c0392b"
_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def _figure(**kwargs: Any) -> Any:
    """A new matplotlib ``Figure``; a clear error when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise LeapforecastError("plots need matplotlib: pip install 'leapforecast[plot]'") from None
    return Figure(layout="constrained", **kwargs)


def _units_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: "0" if v == 0 else short_units(v)))


def _ax(ax: Any, **figure: Any) -> Any:
    return ax if ax is not None else _figure(**figure).add_subplot()


def fan_chart(result: SimulationResult, *, ax: Any = None) -> Any:
    """Yearly quantile bands (p5-p95, p10-p90, p25-p75), the median and the mean, from the base
    year, with a line per target. Returns the ``Axes``."""
    ax = _ax(ax, figsize=(7, 4.5))
    years = [result.base_year, *result.years]
    q = np.column_stack([np.full(len(QUANTILES), result.base_units), result.quantiles])
    for (lo, hi), alpha in (((5, 95), 0.18), ((10, 90), 0.28), ((25, 75), 0.45)):
        ax.fill_between(
            years,
            q[QUANTILES.index(lo)],
            q[QUANTILES.index(hi)],
            color=BLUE,
            alpha=alpha,
            linewidth=0,
            label=f"p{lo}-p{hi}",
        )
    ax.plot(years, q[QUANTILES.index(50)], color=BLUE, linewidth=2, marker="o", label="median")
    ax.plot(
        years,
        [result.base_units, *result.mean],
        color="black",
        linewidth=1,
        linestyle="--",
        label="mean",
    )
    for target in result.targets:
        ax.axhline(target, color=TARGET, linewidth=0.8, linestyle=":")
        ax.annotate(
            short_units(target),
            (years[0], target),
            xytext=(2, 2),
            textcoords="offset points",
            color=TARGET,
            fontsize=8,
        )
    ax.set_xticks(years)
    ax.set_ylim(bottom=0)
    _units_axis(ax.yaxis)
    ax.set_ylabel("units a year")
    ax.set_title(f"{result.scenario}: units a year ({result.paths:,} paths)")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return ax


def exceedance_curve(
    result: SimulationResult,
    year: int,
    *,
    ax: Any = None,
    label: str | None = None,
    color: str = BLUE,
    mark_targets: bool = True,
) -> Any:
    """P(units >= x) against x for ``year``, with each target and its probability marked."""
    ax = _ax(ax, figsize=(7, 4.5))
    if result.totals is None:
        raise LeapforecastError("an exceedance curve needs the per-path totals of the run")
    units = np.sort(result.totals[:, result.years.index(year)].astype(np.float64))
    n = len(units)
    prob = 1.0 - np.arange(n) / n  # P(units >= units[i]) for the sorted sample
    step = max(1, n // 2000)
    ax.step(
        units[::step],
        prob[::step],
        where="post",
        color=color,
        linewidth=1.8,
        label=label or f"{result.scenario} {year}",
    )
    if mark_targets:
        for target in result.targets:
            p = result.probability(target, year)
            ax.axvline(target, color=TARGET, linewidth=0.8, linestyle=":")
            ax.plot([target], [p], marker="o", color=TARGET)
            ax.annotate(
                f"P(≥{short_units(target)}) = {100 * p:.1f}%",
                (target, p),
                xytext=(5, -12 if p > 0.9 else 5),
                textcoords="offset points",
                color=TARGET,
                fontsize=8,
            )
    ax.set_ylim(0, 1.02)
    _units_axis(ax.xaxis)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"units in {year}")
    ax.set_ylabel("P(units ≥ x)")
    ax.set_title(f"Exceedance curve, {year}")
    ax.grid(alpha=0.3)
    return ax


def run_figure(result: SimulationResult, year: int | None = None) -> Any:
    """Fan chart and exceedance curve of ``year`` (default: first forecast year) side by side."""

    year = resolve_year(result.years, year)
    fig = _figure(figsize=(12, 4.8))
    left, right = fig.subplots(1, 2)
    fan_chart(result, ax=left)
    exceedance_curve(result, year, ax=right)
    return fig


def tornado_chart(report: Any, *, ax: Any = None) -> Any:
    """Bars from the base probability to its value with each input at p10 (grey) and p90 (blue)."""
    rows = [r for r in report.inputs if r.prob_swing is not None]
    ax = _ax(ax, figsize=(8, 1.2 + 0.45 * max(1, len(rows))))
    base = report.base_prob
    names = [r.name for r in rows][::-1]
    lows = [r.prob_low for r in rows][::-1]
    highs = [r.prob_high for r in rows][::-1]
    y = np.arange(len(rows))
    q_lo, q_hi = round(100 * report.low), round(100 * report.high)
    ax.barh(
        y,
        [v - base for v in lows],
        left=base,
        color="#9aa5b1",
        label=f"input at p{q_lo} (an event's 'occurs': it does not happen)",
    )
    ax.barh(
        y,
        [v - base for v in highs],
        left=base,
        color=BLUE,
        alpha=0.85,
        label=f"input at p{q_hi} (an event's 'occurs': it happens)",
    )
    ax.axvline(base, color="black", linewidth=1)
    ax.set_yticks(y, names, fontsize=8)
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(
        f"P(units ≥ {short_units(report.target)} in {report.year}); base {100 * base:.1f}%"
    )
    ax.set_title(f"{report.scenario}: tornado ({report.paths:,} paths, common random numbers)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax


def tornado_figure(report: Any) -> Any:
    rows = sum(1 for r in report.inputs if r.prob_swing is not None)
    fig = _figure(figsize=(9, 1.6 + 0.5 * max(1, rows)))
    tornado_chart(report, ax=fig.add_subplot())
    return fig


def comparison_figure(cmp: Any, year: int | None = None) -> Any:
    """Medians with p10-p90 bands per scenario, and their exceedance curves in ``year``."""

    year = resolve_year(cmp.years, year)
    fig = _figure(figsize=(12, 4.8))
    left, right = fig.subplots(1, 2)
    colors = [f"C{i}" for i in range(10)]
    i10, i50, i90 = (QUANTILES.index(q) for q in (10, 50, 90))
    for i, (label, res) in enumerate(zip(cmp.labels, cmp.results, strict=True)):
        c = colors[i % len(colors)]
        years = [res.base_year, *res.years]
        q = np.column_stack([np.full(len(QUANTILES), res.base_units), res.quantiles])
        left.fill_between(years, q[i10], q[i90], color=c, alpha=0.15, linewidth=0)
        left.plot(years, q[i50], color=c, marker="o", label=label)
        if year in res.years:
            exceedance_curve(res, year, ax=right, label=label, color=c, mark_targets=False)
    for target in cmp.targets:
        left.axhline(target, color=TARGET, linewidth=0.8, linestyle=":")
        right.axvline(target, color=TARGET, linewidth=0.8, linestyle=":")
    left.set_ylim(bottom=0)
    left.set_xticks(sorted({cmp.results[0].base_year, *cmp.years}))
    left.set_ylabel("units a year")
    _units_axis(left.yaxis)
    left.set_title(f"Median and p10-p90 ({cmp.paths:,} paths, common random numbers)")
    left.legend(fontsize=8, frameon=False, loc="upper left")
    left.grid(axis="y", alpha=0.3)
    right.legend(fontsize=8, frameon=False)
    return fig


def save_figure(fig: Any, path: str | Path, *, inputs: list[str | Path] = ()) -> Path:
    """Write a figure to ``path`` (.png, .svg or .pdf, by its suffix) atomically, without dates."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"--plot {path}: unknown format '{target.suffix}'; use .png, .svg or .pdf")
    check_destination(target, option="--plot", inputs=inputs)
    import io

    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "leapforecast"}):
        fig.savefig(buf, format=fmt, dpi=120, metadata=_METADATA[fmt])
    # the shared writer: atomic over a regular file, through to a device, never over an input
    write_bytes(buf.getvalue(), target, option="--plot", inputs=inputs)
    return target


__all__ = [
    "comparison_figure",
    "exceedance_curve",
    "fan_chart",
    "run_figure",
    "save_figure",
    "tornado_chart",
    "tornado_figure",
]
