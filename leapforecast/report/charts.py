"""Charts for the terminal: a fan chart of yearly quantiles and a histogram of one year.

Both are plain characters (Rich ``Text`` with styles), readable in 80 columns; Rich drops the
colour when the output is not a terminal, so a file or a pipe gets clean text.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from leapforecast.engine.results import QUANTILES, SimulationResult, resolve_year
from leapforecast.errors import LeapforecastError
from leapforecast.units import short_units

if TYPE_CHECKING:  # pragma: no cover - rich is imported where a chart is drawn
    from rich.text import Text

WIDTH = 80
LABEL = 6  # "2026  "
BANDS = (  # (low quantile, high quantile, character, style), outermost first
    (5, 95, "─", "blue"),
    (10, 90, "━", "bright_blue"),
    (25, 75, "█", "cyan"),
)
TARGET_CHAR, TARGET_STYLE = "┊", "yellow"
MEDIAN_CHAR, MEDIAN_STYLE = "┃", "bold white"
EIGHTHS = " ▁▂▃▄▅▆▇█"


def nice_step(span: float, count: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about ``count`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def axis_range(low: float, high: float) -> tuple[float, float, float]:
    """A rounded [lo, hi] covering [low, high], from zero when the data start near it; and a
    tick step."""
    low, high = max(0.0, low), max(high, low + 1.0)
    if low < 0.35 * high:
        low = 0.0
    step = nice_step(high - low)
    lo = math.floor(low / step) * step
    hi = math.ceil(high / step) * step
    if hi - lo < step * 2:
        hi = lo + 2 * step
    return lo, hi, step


class _Canvas:
    """A row of cells with a style each; joined into one ``Text`` line."""

    def __init__(self, width: int) -> None:
        self.chars = [" "] * width
        self.styles: list[str | None] = [None] * width

    def put(self, i: int, char: str, style: str | None = None) -> None:
        if 0 <= i < len(self.chars):
            self.chars[i], self.styles[i] = char, style

    def text(self) -> Text:
        from rich.text import Text

        line = Text()
        for char, style in zip(self.chars, self.styles, strict=True):
            line.append(char, style=style)
        return line


def _axis_lines(lo: float, hi: float, step: float, width: int, pad: int) -> list[Text]:
    """A tick line and a label line under a plot of ``width`` cells starting at column ``pad``."""
    from rich.text import Text

    ticks = _Canvas(width)
    for i in range(width):
        ticks.put(i, "─", "dim")
    labels = [" "] * (width + 8)
    n = int(round((hi - lo) / step))
    for j in range(n + 1):
        value = lo + j * step
        col = min(width - 1, int(round((value - lo) / (hi - lo) * (width - 1))))
        ticks.put(col, "┴", "dim")
        text = "0" if value == 0 else short_units(value)
        start = max(0, min(col - len(text) // 2, width + 8 - len(text)))
        if all(c == " " for c in labels[max(0, start - 1) : start + len(text) + 1]):
            labels[start : start + len(text)] = list(text)
    tick_line = Text(" " * pad)
    tick_line.append_text(ticks.text())
    return [tick_line, Text(" " * pad + "".join(labels).rstrip(), style="dim")]


def _target_line(
    targets: list[int],
    lo: float,
    hi: float,
    width: int,
    pad: int,
    notes: dict[int, str] | None = None,
    mark: str = "▼",
) -> Text:
    """'▼1M' markers (or ▲ under a plot) above the target columns, labelled where there is room."""
    from rich.text import Text

    cells = [" "] * (width + 24)
    for target in targets:
        if not lo <= target <= hi:
            continue
        col = int(round((target - lo) / (hi - lo) * (width - 1)))
        note = f" {notes[target]}" if notes and target in notes else ""
        label = mark + short_units(target) + note
        if all(c == " " for c in cells[col : col + len(label) + 1]):
            cells[col : col + len(label)] = list(label)
        elif cells[col] == " ":
            cells[col] = mark
    return Text(" " * pad + "".join(cells).rstrip(), style=TARGET_STYLE)


def fan_chart(result: SimulationResult, *, width: int = WIDTH) -> Text:
    """Yearly quantile bands as horizontal bars, one line per year, with the targets marked.

    ``─`` p5-p95, ``━`` p10-p90, ``█`` p25-p75, ``┃`` median, ``┊`` a target; the median in
    thousands at the end of each line.
    """
    from rich.text import Text

    plot = max(20, width - LABEL - 8)
    q = result.quantiles
    targets = list(result.targets)
    lo, hi, step = axis_range(min(float(q[0].min()), *targets), max(float(q[-1].max()), *targets))

    def col(value: float) -> int:
        return int(round((min(max(value, lo), hi) - lo) / (hi - lo) * (plot - 1)))

    out = Text()
    out.append("Units a year: ─ p5-p95  ━ p10-p90  █ p25-p75  ┃ median  ┊ target\n", style="bold")
    out.append_text(_target_line(targets, lo, hi, plot, LABEL))
    out.append("\n")
    for t, year in enumerate(result.years):
        canvas = _Canvas(plot)
        for target in targets:
            if lo <= target <= hi:
                canvas.put(col(target), TARGET_CHAR, TARGET_STYLE)
        for qlo, qhi, char, style in BANDS:
            a, b = col(q[QUANTILES.index(qlo), t]), col(q[QUANTILES.index(qhi), t])
            for i in range(a, b + 1):
                canvas.put(i, char, style)
        for target in targets:  # targets stay visible through the bands
            if lo <= target <= hi and canvas.chars[col(target)] != " ":
                canvas.put(col(target), TARGET_CHAR, TARGET_STYLE)
        median = q[QUANTILES.index(50), t]
        canvas.put(col(median), MEDIAN_CHAR, MEDIAN_STYLE)
        out.append(f"{year:<{LABEL}}")
        out.append_text(canvas.text())
        out.append(f" {short_units(round(median, -3))}\n")
    for line in _axis_lines(lo, hi, step, plot, LABEL):
        out.append_text(line)
        out.append("\n")
    out.rstrip()
    return out


def histogram(result: SimulationResult, year: int, *, width: int = WIDTH, height: int = 10) -> Text:
    """The distribution of units in ``year`` as vertical bars, targets marked with P(>= target).

    The range covers the 0.5th to 99.5th percentile and every target; paths beyond it are counted
    in the end bins.
    """
    from rich.text import Text

    if result.totals is None:
        raise LeapforecastError("a histogram needs the per-path totals of the run")
    t = result.years.index(year)
    units = result.totals[:, t].astype(np.float64)
    plot = max(20, width - LABEL - 2)
    targets = list(result.targets)
    lo, hi, step = axis_range(
        min(float(np.quantile(units, 0.005)), *targets),
        max(float(np.quantile(units, 0.995)), *targets),
    )
    edges = np.linspace(lo, hi, plot + 1)
    idx = np.clip(np.searchsorted(edges, units, side="right") - 1, 0, plot - 1)
    counts = np.bincount(idx, minlength=plot).astype(float)
    top = counts.max() or 1.0
    levels = counts / top * height * 8  # in eighths of a row
    target_cols = {int(round((x - lo) / (hi - lo) * (plot - 1))) for x in targets if lo <= x <= hi}
    out = Text()
    out.append(
        f"Units in {year}: share of {result.paths:,} paths "
        f"(tallest bar {100 * top / len(units):.1f}%)\n",
        style="bold",
    )
    for row in range(height, 0, -1):
        canvas = _Canvas(plot)
        for i in range(plot):
            fill = levels[i] - (row - 1) * 8
            if fill >= 8:
                canvas.put(i, "█", "cyan")
            elif fill > 0:
                canvas.put(i, EIGHTHS[max(1, int(round(fill)))], "cyan")
            elif i in target_cols:
                canvas.put(i, TARGET_CHAR, TARGET_STYLE)
        out.append(" " * LABEL)
        out.append_text(canvas.text())
        out.append("\n")
    for line in _axis_lines(lo, hi, step, plot, LABEL):
        out.append_text(line)
        out.append("\n")
    out.append_text(_target_line(targets, lo, hi, plot, LABEL, mark="▲"))
    out.append("\n")
    out.append(
        " " * LABEL
        + f"P(units >= target) in {year}: "
        + "  ".join(f"{short_units(x)} {100 * result.probability(x, year):.1f}%" for x in targets)
    )
    return out


def run_charts(
    result: SimulationResult, year: int | None = None, *, width: int = WIDTH
) -> list[Text]:
    """The fan chart and the histogram of ``year`` (default: the first forecast year)."""

    year = resolve_year(result.years, year)
    return [fan_chart(result, width=width), histogram(result, year, width=width)]


__all__ = ["axis_range", "fan_chart", "histogram", "nice_step", "run_charts"]
