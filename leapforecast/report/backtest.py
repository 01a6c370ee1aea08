"""The calibration report as tables and a PIT plot (``leapforecast backtest``)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leapforecast.analysis.backtest import LEVELS, BacktestResult
from leapforecast.report.tables import report_table

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType


def _pct(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{100 * v:.0f}"


def _num(v: float | None, fmt: str = ".3f") -> str:
    return "-" if v is None or not math.isfinite(v) else format(v, fmt)


def verdict_line(method: str, verdicts: list[tuple[int, str]], width: int) -> str:
    """'rw  consistent at h1-h3' / 'base  too narrow at h1, h2; consistent at h3'."""
    groups: dict[str, list[int]] = {}
    for h, v in verdicts:
        groups.setdefault(v, []).append(h)
    parts = []
    for v, hs in groups.items():
        if v == "point forecast":
            parts.append("point forecast (no intervals)")
        else:
            parts.append(f"{v} at " + ", ".join(f"h{h}" for h in hs))
    return f"{method:<{width}} " + "; ".join(parts)


def short_name(method: str) -> str:
    """``scenario:NAME`` shortened to ``sc:NAME`` so the table fits 80 columns."""
    return "sc:" + method[len("scenario:") :] if method.startswith("scenario:") else method


def result_tables(result: BacktestResult, *, cases: bool = False) -> list[RenderableType]:
    """Rich renderables, within 80 columns: a header, the summary (one block of rows per
    method), a verdict line per method and the notes on rebasing; every case if asked."""
    from rich.text import Text

    makers = sorted({c.series for c in result.cases})
    out: list[Any] = [
        Text.assemble(
            ("Calibration report (rolling origin)", "bold"),
            f": {result.draws:,} draws, seed {result.seed}\n",
            textwrap.fill(
                f"{len(makers)} maker{'s' if len(makers) != 1 else ''}: {', '.join(makers)}.", 79
            ),
            "\nScores in log units (lower is better); skill = 1 - CRPS / CRPS(rw), same cases.",
        )
    ]
    from rich import box
    from rich.table import Table

    # one space between columns, none at the edges: the report fits 80 columns
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=0, show_edge=False)
    heads = ("method", "h", "n", "50%", "80%", "90%", "90% CI", "PIT p", "CRPS", "IS90", "bias")
    for col in (*heads, "skill", "ins"):
        t.add_column(col, justify="left" if col == "method" else "right", no_wrap=True)
    order = list(dict.fromkeys(s.method for s in result.scores))
    for m in order:
        for i, s in enumerate(x for x in result.scores if x.method == m):
            cov = s.coverage or (None,) * len(LEVELS)
            ci = s.coverage_90_ci
            t.add_row(
                short_name(m) if i == 0 else "",
                str(s.horizon),
                str(s.cases),
                *(_pct(c) for c in cov),
                "-" if ci is None else f"{_pct(ci[0])}-{_pct(ci[1])}",
                _num(s.pit_p, ".2f"),
                _num(s.crps),
                _num(s.interval_score_90, ".2f"),
                _num(s.bias, "+.2f"),
                _num(s.skill_rw, "+.2f"),
                "?" if s.in_sample is None else str(s.in_sample),
                end_section=i == len(result.horizons) - 1,
            )
    out.append(t)
    width = max(len(short_name(m)) for m in order)
    verdicts = result.verdicts()
    lines = [verdict_line(short_name(m), verdicts[m], width) for m in order]
    out.append(Text("90% intervals (Wilson 95% interval of the coverage vs 0.90):", style="bold"))
    out.append(Text("\n".join(lines)))
    notes = [
        "sc: = scenario:, rebased onto each maker at each origin. n: cases; 50/80/90%: share of "
        "outcomes inside the central intervals; 90% CI: Wilson 95% interval of the 90% coverage "
        "over cases (the sampling uncertainty of the coverage; Monte Carlo error is negligible "
        "beside it); PIT p: chi-square test that the PIT deciles are flat (small = "
        "miscalibrated); CRPS, IS90 (interval score of the 90% interval) and bias (mean "
        "ln(median / outcome)) are in log units; ins: cases whose target year the scenario had "
        "already seen (its as_of; ? = no as_of). Bootstrap intervals over target years and the "
        "PIT histograms are in --format json."
    ]
    for m, ns in result.notes.items():
        notes.append(f"{m}: {'; '.join(ns)}.")
    for m, n in result.dropped.items():
        notes.append(
            f"{m} could not forecast {n} (maker, origin) pair(s); they are left out for every "
            "method."
        )
    out.append(Text("\n".join(textwrap.fill(n, 79) for n in notes), style="dim"))
    if cases:
        tc = report_table("Cases (units in thousands; PIT: where the outcome fell)")
        for col in ("series", "from", "to", "method", "actual", "p50", "p5", "p95", "PIT", "CRPS"):
            tc.add_column(
                col, justify="left" if col in ("series", "method") else "right", no_wrap=True
            )

        def k(v: float) -> str:
            return f"{v / 1000:,.0f}" if v >= 10_000 else f"{v / 1000:,.1f}"

        for c in result.cases:
            tc.add_row(
                c.series,
                str(c.origin),
                str(c.year),
                c.method,
                k(c.actual),
                k(c.median),
                k(c.p5),
                k(c.p95),
                f"{c.pit:.2f}",
                f"{c.crps:.3f}",
            )
        out.append(tc)
    return out


def plot_calibration(result: BacktestResult, path: str | Path) -> Path:
    """One panel per method: PIT decile histograms per horizon (a flat histogram at 1.0 is
    calibrated; U = too narrow, hump = too wide) and, inset as text, its 90% coverage.
    A reliability panel at the end plots each method's coverage against 50/80/90% nominal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    order = [
        m
        for m in dict.fromkeys(s.method for s in result.scores)
        if any(s.coverage is not None for s in result.scores if s.method == m)
    ]
    n = len(order) + 1
    cols = 4
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    edges = np.linspace(0, 1, 11)
    for i, m in enumerate(order):
        ax = axes[i // cols][i % cols]
        scores = [s for s in result.scores if s.method == m]
        width = 0.1 / max(1, len(scores))
        for j, s in enumerate(scores):
            counts = np.asarray(s.pit_histogram, float)
            dens = counts / max(1.0, counts.sum()) * 10
            cov90 = _pct(s.coverage[-1] if s.coverage else None)
            ax.bar(
                edges[:-1] + j * width,
                dens,
                width=width,
                align="edge",
                color=colours[j % len(colours)],
                label=f"h={s.horizon} (n={s.cases}, 90%: {cov90}%)",
            )
        ax.axhline(1.0, color="black", lw=0.8, ls="--")
        ax.set_title(m, fontsize=9)
        ax.set_xlim(0, 1)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="upper center")
    ax = axes[(n - 1) // cols][(n - 1) % cols]
    for i, m in enumerate(order):
        s1 = [s for s in result.scores if s.method == m and s.coverage is not None]
        if not s1:
            continue
        s = s1[0]
        ax.plot(
            LEVELS,
            s.coverage,
            marker="os^"[i // len(colours) % 3],
            ls=("-", "--", ":")[i // len(colours) % 3],
            lw=1,
            color=colours[i % len(colours)],
            label=m,
        )
    ax.plot([0.4, 1], [0.4, 1], color="black", lw=0.8, ls="--")
    ax.set_title(f"reliability at h={result.horizons[0]}: coverage vs nominal", fontsize=9)
    ax.set_xlim(0.4, 1)
    ax.set_ylim(0, 1.02)
    ax.tick_params(labelsize=7)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    handles, labels = ax.get_legend_handles_labels()
    if n < rows * cols:  # the legend gets the free panel next to the reliability diagram
        axes[n // cols][n % cols].legend(handles, labels, loc="center", fontsize=7)
    else:
        ax.legend(fontsize=5, loc="lower right", ncol=2)
    fig.suptitle("PIT histograms (density; flat at 1 = calibrated, U = too narrow)", fontsize=11)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
