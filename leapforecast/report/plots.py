"""Plots with matplotlib (the optional ``plot`` extra): fan chart, exceedance curve, tornado.

matplotlib is imported on first use, and only its object-oriented API is used (``Figure``, not
``pyplot``), so nothing here touches global plotting state or needs a display. Saved files carry
no dates, so the same run gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover - matplotlib is imported on first use
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

    from leapforecast.analysis.compare import Comparison
    from leapforecast.analysis.sensitivity import SensitivityReport
    from leapforecast.analysis.sweep import BreakEven, Sweep

import numpy as np

from leapforecast.engine.results import QUANTILES, SimulationResult, resolve_year
from leapforecast.errors import LeapforecastError, UsageError
from leapforecast.report.output import check_destination, write_bytes
from leapforecast.units import short_units

FORMATS = ("png", "svg", "pdf")
BLUE = "#1f5fa8"
TARGET = "#c0392b"
_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


class YearlySeries(Protocol):
    """Anything with ``years`` and ``units`` (a ``History``, a scenario's history)."""

    @property
    def years(self) -> Sequence[int]: ...

    @property
    def units(self) -> Sequence[float]: ...


def _figure(**kwargs: Any) -> Figure:
    """A new matplotlib ``Figure``; a clear error when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise LeapforecastError("plots need matplotlib: pip install 'leapforecast[plot]'") from None
    return Figure(layout="constrained", **kwargs)


def _units_axis(axis: Axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: "0" if v == 0 else short_units(v)))


def _ax(ax: Axes | None, **figure: Any) -> Axes:
    return ax if ax is not None else _figure(**figure).add_subplot()


def input_label(name: str) -> str:
    """A readable label for an input's key path, for charts people read.

    ``growth.rate`` -> "Growth rate", ``event.X.impact`` -> "X: impact",
    ``segment.S.growth.rate`` -> "S: growth rate", ``capacity.schedule.2026`` ->
    "Capacity 2026", ``noise`` -> "Year-to-year noise". Unknown paths have their dots and
    underscores turned into spaces, first letter capitalised.
    """
    if name in _LABELS:
        return _LABELS[name]
    for suffix, word in _EVENT_PARTS.items():
        if name.startswith("event.") and name.endswith(suffix) and len(name) > 6 + len(suffix):
            return f"{name[6 : -len(suffix)]}: {word}"
    if name.startswith("segment."):
        rest = name[len("segment.") :]
        for key in sorted(_LABELS, key=len, reverse=True):
            if rest.endswith("." + key):
                return f"{rest[: -len(key) - 1]}: {_LABELS[key][0].lower()}{_LABELS[key][1:]}"
    if name.startswith("capacity.schedule."):
        return f"Capacity {name.rsplit('.', 1)[1]}"
    text = name.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


_LABELS = {
    "growth.rate": "Growth rate",
    "growth.volatility": "Growth volatility",
    "growth.fade.to": "Growth fades to",
    "growth.fade.half_life": "Growth fade half-life",
    "capacity.units": "Capacity",
    "capacity.growth": "Capacity growth",
    "noise": "Year-to-year noise",
}
_EVENT_PARTS = {".impact": "impact", ".occurs": "occurs", ".year": "year"}


def _legend_below(ax: Axes, *, ncol: int) -> None:
    """The legend under the axes and their x label, never over the data: a figure legend
    'outside lower center' when the axes are the figure's only ones (constrained layout makes
    room for it), else just below the axes."""
    fig = ax.figure
    if len(fig.axes) == 1:
        fig.legend(loc="outside lower center", ncol=ncol, fontsize=8, frameon=False)
    else:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=ncol,
            fontsize=8,
            frameon=False,
        )


def _wrap(text: str, width: int = 26) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _history_points(history: YearlySeries | None, base_year: int) -> tuple[list[int], list[float]]:
    """(years, units) of the history up to and including ``base_year``."""
    if history is None:
        return [], []
    pairs = [(int(y), float(u)) for y, u in zip(history.years, history.units, strict=True)]
    pairs = [(y, u) for y, u in pairs if y <= base_year]
    return [y for y, _ in pairs], [u for _, u in pairs]


def _target_labels_right(ax: Axes, targets: list[int], color: str = TARGET) -> None:
    """Each target's value just outside the right frame, level with its line, so it never sits
    on the bands, the legend or the frame."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transAxes, ax.transData)
    lo, hi = ax.get_ylim()
    for target in targets:
        if lo <= target <= hi:
            ax.annotate(
                short_units(target),
                (1.0, target),
                xycoords=trans,
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                color=color,
                fontsize=8,
                annotation_clip=False,
            )


def fan_chart(
    result: SimulationResult, *, ax: Axes | None = None, history: YearlySeries | None = None
) -> Axes:
    """Yearly quantile bands (p5-p95, p10-p90, p25-p75), the median and the mean, from the base
    year, with a line per target. ``history`` (anything with ``years`` and ``units``, such as
    ``scenario.history``) draws the sales before the base year, so the fan is read against the
    track record it extrapolates. Returns the ``Axes``."""
    ax = _ax(ax, figsize=(7, 4.8))
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
    hist_years, hist_units = _history_points(history, result.base_year)
    if hist_years and hist_years[-1] != result.base_year:
        hist_years, hist_units = [*hist_years, result.base_year], [*hist_units, result.base_units]
    if len(hist_years) > 1:
        ax.plot(
            hist_years,
            hist_units,
            color="#333333",
            linewidth=1.6,
            marker="s",
            markersize=4,
            label="history",
        )
    for target in result.targets:
        ax.axhline(target, color=TARGET, linewidth=0.8, linestyle=":")
    all_years = sorted({*hist_years, *years})
    ax.set_xticks(all_years, [str(y) for y in all_years], fontsize=8 if len(all_years) > 8 else 10)
    top = max(float(q.max()), max(result.targets, default=0), max(hist_units, default=0))
    ax.set_ylim(0, top * 1.06)
    _units_axis(ax.yaxis)
    _target_labels_right(ax, result.targets)
    ax.set_ylabel("units a year")
    ax.set_title(f"{result.scenario}: units a year ({result.paths:,} paths)")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.09),
        ncol=6 if len(hist_years) > 1 else 5,
        fontsize=8,
        frameon=False,
        handlelength=1.5,
        columnspacing=1.0,
    )
    ax.grid(axis="y", alpha=0.3)
    return ax


def exceedance_curve(
    result: SimulationResult,
    year: int,
    *,
    ax: Axes | None = None,
    label: str | None = None,
    color: str = BLUE,
    mark_targets: bool = True,
) -> Axes:
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
        high = 0  # labels below their point near the top are stacked, not drawn on each other
        for target in result.targets:
            p = result.probability(target, year)
            ax.axvline(target, color=TARGET, linewidth=0.8, linestyle=":")
            ax.plot([target], [p], marker="o", color=TARGET)
            # left of the line when the point is near the right edge, below it near the top
            right = target >= units[-1] - 0.15 * (units[-1] - units[0])
            dy = 6
            if p > 0.9:
                dy = -12 - 11 * high
                high += 1
            shown = ">99.9%" if 0.999 < p < 1 else "<0.1%" if 0 < p < 0.001 else f"{100 * p:.1f}%"
            ax.annotate(
                f"P(≥{short_units(target)}) = {shown}",
                (target, p),
                xytext=(-5 if right else 5, dy),
                textcoords="offset points",
                ha="right" if right else "left",
                color=TARGET,
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    ax.set_ylim(0, 1.04)
    _units_axis(ax.xaxis)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"units in {year}")
    ax.set_ylabel("P(units ≥ x)")
    ax.set_title(f"Exceedance curve, {year}")
    ax.grid(alpha=0.3)
    return ax


def run_figure(
    result: SimulationResult, year: int | None = None, *, history: YearlySeries | None = None
) -> Figure:
    """Fan chart (with ``history`` before the base year when given) and the exceedance curve of
    ``year`` (default: first forecast year) side by side."""

    year = resolve_year(result.years, year)
    fig = _figure(figsize=(12, 5))
    left, right = fig.subplots(1, 2)
    fan_chart(result, ax=left, history=history)
    exceedance_curve(result, year, ax=right)
    return fig


# --------------------------------------------------------------------------- histogram


def histogram_chart(
    result: SimulationResult, year: int, *, ax: Axes | None = None, bins: int = 60
) -> Axes:
    """Share of paths by units in ``year`` (from the run's per-path totals), with a line per
    target labelled with P(units >= target) above the frame."""
    ax = _ax(ax, figsize=(8, 4.5))
    if result.totals is None:
        raise LeapforecastError("a histogram needs the per-path totals of the run")
    year = resolve_year(result.years, year)
    units = result.totals[:, result.years.index(year)].astype(np.float64)
    lo, hi = float(units.min()), float(units.max())
    span = hi - lo or max(hi, 1.0)
    shown = [t for t in result.targets if lo - span <= t <= hi + span]
    left = min([lo, *shown])
    right = max([hi, *shown])
    pad = 0.03 * (right - left or span)
    edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
    ax.hist(
        units,
        bins=edges.tolist(),
        weights=np.full(len(units), 1.0 / len(units)),
        color=BLUE,
        alpha=0.8,
        edgecolor="white",
        linewidth=0.3,
    )
    median = result.quantile(50, year)
    ax.axvline(median, color="black", linewidth=1, linestyle="--")
    ax.set_xlim(left - pad, right + pad)
    from matplotlib.ticker import PercentFormatter
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    ax.annotate(
        f"median {short_units(float(f'{median:.3g}'))}",
        (median, 0.97),
        xycoords=trans,
        xytext=(4, 0),
        textcoords="offset points",
        va="top",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
    )
    for target in shown:
        p = result.probability(target, year)
        ax.axvline(target, color=TARGET, linewidth=1.2, linestyle=":")
        ax.annotate(
            f"≥{short_units(target)}: {100 * p:.1f}%",
            (target, 1.0),
            xycoords=trans,
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            color=TARGET,
            fontsize=8,
            annotation_clip=False,
        )
    _units_axis(ax.xaxis)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_xlabel(f"units in {year}")
    ax.set_ylabel("share of paths")
    ax.set_title(f"{result.scenario}: units in {year} ({result.paths:,} paths)", pad=16)
    ax.grid(axis="y", alpha=0.3)
    return ax


def histogram_figure(
    result: SimulationResult, year: int | None = None, *, bins: int = 60
) -> Figure:
    """The histogram of ``year`` (default: first forecast year) as a figure of its own."""
    fig = _figure(figsize=(8, 4.5))
    histogram_chart(result, resolve_year(result.years, year), ax=fig.add_subplot(), bins=bins)
    return fig


# --------------------------------------------------------------------------- tornado, spider


def tornado_chart(report: SensitivityReport, *, ax: Axes | None = None) -> Axes:
    """Bars from the base probability to its value with each input at p10 (grey) and p90 (blue),
    the probability written at the end of each bar, inputs by readable names."""
    from matplotlib.ticker import PercentFormatter

    rows = [r for r in report.inputs if r.prob_swing is not None]
    ax = _ax(ax, figsize=(8, 1.2 + 0.45 * max(1, len(rows))))
    base = report.base_prob
    names = [_wrap(input_label(r.name)) for r in rows][::-1]
    # a row has a swing exactly when both its probabilities are set: these filters drop nothing
    lows = [float(r.prob_low) for r in rows if r.prob_low is not None][::-1]
    highs = [float(r.prob_high) for r in rows if r.prob_high is not None][::-1]
    y = np.arange(len(rows))
    q_lo, q_hi = round(100 * report.low), round(100 * report.high)
    ax.barh(
        y,
        [v - base for v in lows],
        left=base,
        color="#9aa5b1",
        height=0.7,
        label=f"input at p{q_lo} (event 'occurs': it does not happen)",
    )
    ax.barh(
        y,
        [v - base for v in highs],
        left=base,
        color=BLUE,
        alpha=0.85,
        height=0.7,
        label=f"input at p{q_hi} (event 'occurs': it happens)",
    )
    values = [*lows, *highs, base]
    span = (max(values) - min(values)) or max(base, 0.01)
    for yi, lo, hi in zip(y, lows, highs, strict=True):
        for v, other in ((lo, hi), (hi, lo)):
            right = v > base or (v == base and other < base)
            if (v - base) * (other - base) > 0 and abs(v - base) < abs(other - base):
                continue  # inside the other bar on the same side: its label says enough
            if v == other and v is hi:
                continue  # no swing: one label
            ax.annotate(
                f"{100 * v:.1f}%",
                (v, yi),
                xytext=(3 if right else -3, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=8,
            )
    ax.set_xlim(min(values) - 0.16 * span, max(values) + 0.16 * span)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.axvline(base, color="black", linewidth=1)
    ax.set_yticks(y, names, fontsize=8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(
        f"P(units ≥ {short_units(report.target)} in {report.year}); base {100 * base:.1f}%"
    )
    ax.set_title(f"{report.scenario}: tornado ({report.paths:,} paths, common random numbers)")
    _legend_below(ax, ncol=1)
    ax.grid(axis="x", alpha=0.3)
    return ax


def tornado_figure(report: SensitivityReport) -> Figure:
    rows = sum(1 for r in report.inputs if r.prob_swing is not None)
    fig = _figure(figsize=(9, 2.4 + 0.5 * max(1, rows)))
    tornado_chart(report, ax=fig.add_subplot())
    return fig


SpiderLine = tuple[str, Sequence[float], Sequence[float]]


def spider_chart(
    lines: Sequence[SpiderLine],
    *,
    ax: Axes | None = None,
    base: float | None = None,
    outcome: str = "probability",
    xlabel: str = "input held at its percentile",
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """A spider plot: the outcome as each input moves through its percentiles, all else drawn.

    ``lines`` holds one ``(input name, percentiles, outcomes)`` per input: percentiles as
    fractions (0.1 = p10) or per cent (10), outcomes as probabilities (``outcome=
    "probability"``) or units (``outcome="units"``). A steep line is an input that matters; a
    flat one does not. The analysis must supply, for each input, the outcome with that input
    held at each percentile and every other input drawn, on common random numbers: the
    tornado's two runs per input (p10, p90) generalised to several percentiles, e.g. 0.1, 0.25,
    0.5, 0.75, 0.9 (``SensitivityReport`` keeps only the two ends; see
    :func:`spider_lines_from_report` for that two-point fallback).
    """
    from matplotlib.ticker import PercentFormatter

    if outcome not in ("probability", "units"):
        raise UsageError(f"outcome must be 'probability' or 'units', got {outcome!r}")
    ax = _ax(ax, figsize=(8, 5))
    markers = "osD^vP*Xh<>"
    for i, (name, pcts, values) in enumerate(lines):
        x = np.asarray(pcts, dtype=np.float64)
        if x.size and x.max() > 1:
            x = x / 100.0
        order = np.argsort(x)
        ax.plot(
            x[order],
            np.asarray(values, dtype=np.float64)[order],
            marker=markers[i % len(markers)],
            color=f"C{i % 10}",
            linewidth=1.6,
            markersize=5,
            label=_wrap(input_label(name), 30),
        )
    if base is not None:
        ax.axhline(base, color="black", linewidth=0.8, linestyle="--", label="all inputs drawn")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, 1)
    if outcome == "probability":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        _units_axis(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or ("P(units ≥ target)" if outcome == "probability" else "units"))
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    return ax


def spider_lines_from_report(report: SensitivityReport) -> list[SpiderLine]:
    """Two-point spider lines (p10 and p90) from a ``SensitivityReport``'s tornado rows."""
    return [
        (r.name, (report.low, report.high), (float(r.prob_low), float(r.prob_high)))
        for r in report.inputs
        if r.prob_low is not None and r.prob_high is not None  # the rows with a swing
    ]


def spider_figure(
    lines: Sequence[SpiderLine],
    *,
    base: float | None = None,
    outcome: str = "probability",
    target: int | None = None,
    year: int | None = None,
    scenario: str | None = None,
) -> Figure:
    """A spider plot as a figure of its own; ``target``/``year``/``scenario`` label the axes."""
    fig = _figure(figsize=(10, 5))
    ylabel = None
    if outcome == "probability" and target is not None:
        ylabel = f"P(units ≥ {short_units(target)}" + (f" in {year})" if year else ")")
    elif outcome == "units" and year is not None:
        ylabel = f"median units in {year}"
    title = f"{scenario}: spider plot" if scenario else "Spider plot"
    spider_chart(
        lines, ax=fig.add_subplot(), base=base, outcome=outcome, ylabel=ylabel, title=title
    )
    return fig


# --------------------------------------------------------------------------- sweep


def _crossing(x: np.ndarray, y: np.ndarray, level: float) -> float | None:
    """The first x where the piecewise-linear y crosses ``level`` (None if it never does)."""
    for i in range(len(x) - 1):
        a, b = y[i] - level, y[i + 1] - level
        if a == 0:
            return float(x[i])
        if a * b < 0:
            return float(x[i] + (x[i + 1] - x[i]) * a / (a - b))
    return float(x[-1]) if len(y) and y[-1] == level else None


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around (possibly uneven) grid values: midpoints, and half a step outside."""
    if len(values) == 1:
        v = float(values[0])
        half = abs(v) * 0.05 or 0.5
        return np.array([v - half, v + half])
    mid = (values[:-1] + values[1:]) / 2
    return np.concatenate(
        [[values[0] - (mid[0] - values[0])], mid, [values[-1] + (values[-1] - mid[-1])]]
    )


def _axis_values(axis: Axis, values: np.ndarray) -> None:
    """Unit counts as 600k/1.2M rather than matplotlib's '1e6' offset."""
    if len(values) and float(np.max(np.abs(values))) >= 1000:
        _units_axis(axis)


def sweep_chart(
    sweep: Sweep,
    *,
    ax: Axes | None = None,
    level: float = 0.5,
    break_even: BreakEven | None = None,
) -> Axes:
    """P(units >= target in year) over a sweep's grid.

    One key: the probability against the value with a 95% Monte Carlo band, the ``level`` line
    and the break-even (where the curve crosses the level, interpolated; or ``break_even``, a
    ``BreakEven`` from ``solve`` on the same key). Two keys: a heat map (viridis, colour-blind
    safe, fixed 0-100% scale), each cell's probability written in it when the grid is small, and
    the ``level`` contour drawn as the break-even line.
    """
    from matplotlib.ticker import PercentFormatter

    axes = sweep.axes
    ylab = f"P(units ≥ {short_units(sweep.target)} in {sweep.year})"
    if len(axes) == 1:
        ax = _ax(ax, figsize=(8, 4.5))
        x = np.asarray(axes[0].values, dtype=np.float64)
        p = np.asarray(sweep.prob, dtype=np.float64)
        se = np.asarray(sweep.se, dtype=np.float64)
        ax.fill_between(
            x,
            np.clip(p - 1.96 * se, 0, 1),
            np.clip(p + 1.96 * se, 0, 1),
            color=BLUE,
            alpha=0.2,
            linewidth=0,
            label="95% Monte Carlo band",
        )
        ax.plot(x, p, color=BLUE, marker="o", markersize=4, linewidth=1.8, label="probability")
        ax.axhline(level, color="black", linewidth=0.8, linestyle="--")
        value = None
        if break_even is not None and getattr(break_even, "key", None) == axes[0].key:
            value = float(break_even.value)
        elif break_even is None:
            value = _crossing(x, p, level)
        if value is not None:
            ax.axvline(value, color=TARGET, linewidth=1.2, linestyle=":")
            ax.plot([value], [level], marker="D", color=TARGET, label=f"break-even at {level:.0%}")
            ax.annotate(
                f"break-even ≈ {value:.4g}",
                (value, level),
                xytext=(6, 8),
                textcoords="offset points",
                color=TARGET,
                fontsize=9,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        else:
            side = "below" if float(np.max(p)) < level else "above"
            ax.text(
                0.02,
                0.97,
                f"P stays {side} {level:.0%} over this range: no break-even in it",
                transform=ax.transAxes,
                va="top",
                fontsize=9,
                color=TARGET,
            )
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        _axis_values(ax.xaxis, x)
        ax.set_xlabel(f"{input_label(axes[0].key)} ({axes[0].key})")
        ax.set_ylabel(ylab)
        _legend_below(ax, ncol=3)
        ax.grid(alpha=0.3)
    else:
        ax = _ax(ax, figsize=(8, 6))
        x = np.asarray(axes[0].values, dtype=np.float64)
        y = np.asarray(axes[1].values, dtype=np.float64)
        z = np.asarray(sweep.prob, dtype=np.float64).T  # rows: axis 1 (y), columns: axis 0 (x)
        mesh = ax.pcolormesh(
            _edges(x), _edges(y), z, cmap="viridis", vmin=0, vmax=1, shading="flat"
        )
        cbar = ax.figure.colorbar(mesh, ax=ax, format=PercentFormatter(1.0))
        cbar.set_label(ylab)
        if len(x) * len(y) <= 120:
            for i, xv in enumerate(x):
                for j, yv in enumerate(y):
                    v = z[j, i]
                    ax.text(
                        xv,
                        yv,
                        f"{100 * v:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="black" if v > 0.55 else "white",
                    )
        if len(x) > 1 and len(y) > 1 and z.min() < level < z.max():
            from matplotlib.lines import Line2D

            ax.contour(x, y, z, levels=[level], colors="white", linewidths=2.4)
            ax.contour(x, y, z, levels=[level], colors=TARGET, linewidths=1.3, linestyles="--")
            handle = Line2D([], [], color=TARGET, linestyle="--", linewidth=1.3)
            ax.legend(
                [handle],
                [f"{level:.0%} contour: the break-even line"],
                loc="upper center",
                bbox_to_anchor=(0.5, -0.1),
                fontsize=8,
                frameon=False,
            )
        if break_even is not None:
            key = getattr(break_even, "key", None)
            if key == axes[0].key:
                ax.axvline(break_even.value, color=TARGET, linewidth=1.2, linestyle=":")
            elif key == axes[1].key:
                ax.axhline(break_even.value, color=TARGET, linewidth=1.2, linestyle=":")
        _axis_values(ax.xaxis, x)
        _axis_values(ax.yaxis, y)
        ax.set_xlabel(f"{input_label(axes[0].key)} ({axes[0].key})")
        ax.set_ylabel(f"{input_label(axes[1].key)} ({axes[1].key})")
    ax.set_title(f"{sweep.scenario}: {ylab} ({sweep.paths:,} paths a point)")
    return ax


def sweep_figure(
    sweep: Sweep, *, level: float = 0.5, break_even: BreakEven | None = None
) -> Figure:
    """A sweep's chart as a figure of its own (see :func:`sweep_chart`)."""
    fig = _figure(figsize=(8, 6) if len(sweep.axes) == 2 else (8, 4.8))
    sweep_chart(sweep, ax=fig.add_subplot(), level=level, break_even=break_even)
    return fig


def comparison_figure(cmp: Comparison, year: int | None = None) -> Figure:
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


def save_figure(fig: Figure, path: str | Path, *, inputs: Sequence[str | Path] = ()) -> Path:
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


def figure_svg(fig: Figure, *, prefix: str = "f") -> str:
    """The figure as an ``<svg>`` element to inline in HTML: no XML prolog or doctype, no date,
    glyphs as paths (no fonts needed), and every ``id`` prefixed with ``prefix`` so several
    charts in one page cannot resolve each other's clip paths or glyphs."""
    import io
    import re

    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "leapforecast", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata=_METADATA["svg"])
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', rf'\1="#{prefix}-\2"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return text


__all__ = [
    "SpiderLine",
    "comparison_figure",
    "exceedance_curve",
    "fan_chart",
    "figure_svg",
    "histogram_chart",
    "histogram_figure",
    "input_label",
    "run_figure",
    "save_figure",
    "spider_chart",
    "spider_figure",
    "spider_lines_from_report",
    "sweep_chart",
    "sweep_figure",
    "tornado_chart",
    "tornado_figure",
]
