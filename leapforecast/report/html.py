"""A one-file HTML report for people who do not run command lines.

The file is self-contained (inline CSS, charts as inline SVG; no scripts, external styles, fonts
or links), so it can be mailed, opened offline and archived. It answers the question first: the
probability of each target per year, with the outside view beside it and the Monte Carlo error
labelled as such (it measures the simulation's noise, not how uncertain the forecast is). Then
the charts, the scenario comparison, the calibration verdict, the assumptions with the comment
each number carries in the scenario file, the resolved scenario and the run's identity.

Every piece of text that comes from input (scenario names, comments, keys, table cells) goes
through ``html.escape``. The page carries no date unless the caller gives one, so the same
inputs give the same bytes.

Two levels of API: :func:`render_report` assembles prepared :class:`Section` objects into a page;
:func:`build_report` makes the standard sections from results and is what ``leapforecast
report`` calls.
"""

from __future__ import annotations

import html
import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from leapforecast.analysis.compare import Comparison
    from leapforecast.analysis.sensitivity import SensitivityReport
    from leapforecast.model.scenario import Scenario

from leapforecast._version import __version__
from leapforecast.engine.results import SimulationResult, resolve_year
from leapforecast.model.files import key_lines
from leapforecast.report import plots
from leapforecast.report.xlsx import is_percent_column
from leapforecast.units import short_units

SECTION_IDS = (
    "headline",
    "fan",
    "exceedance",
    "histogram",
    "tornado",
    "comparison",
    "calibration",
    "assumptions",
    "scenario",
    "run",
)
_PLAIN_KEYS = ("seed", "year", "base_year", "horizon")  # numbers shown without separators
_PROB_KEYS = ("prob_ge", "probability", "p_ge", "prob", "p")


def esc(value: object) -> str:
    """Text from input, safe in HTML content and attribute values."""
    return html.escape(str(value), quote=True)


def fmt_prob(p: float | None) -> str:
    """A probability as the report shows it: one decimal of a per cent ('64.8%')."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    p = float(p)
    if 0 < p < 0.0005:
        return "<0.1%"  # not 0.0%: some paths did reach it
    if 0.9995 <= p < 1:
        return ">99.9%"  # not 100.0%: some paths did not
    return f"{100 * p:.1f}%"


def fmt_se(se: float | None) -> str:
    """A Monte Carlo standard error of a probability, in percentage points ('0.34 pt')."""
    if se is None or (isinstance(se, float) and math.isnan(se)):
        return "—"
    return f"{100 * float(se):.2f} pt"


def fmt_cell(value: object) -> str:
    """A table cell from result rows: whole numbers with thousands separators, floats to four
    significant digits, missing as a dash (escaped)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return esc(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"
    return esc(value)


# --------------------------------------------------------------------------- sections


@dataclass
class Section:
    """One part of the report: ``id`` (its anchor), a heading and its body, already HTML."""

    id: str
    title: str
    body: str
    lead: str = ""  # one sentence under the heading (escaped by the caller of Section)


def table_html(
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    headers: Mapping[str, str] | None = None,
    cls: str = "",
) -> str:
    """An HTML table of result rows in a horizontally scrolling wrapper (phones)."""
    headers = headers or {}
    head = "".join(f"<th scope='col'>{esc(headers.get(c, c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            num = isinstance(v, int | float) and not isinstance(v, bool)
            if num and is_percent_column(c):
                shown = fmt_prob(v)
            elif isinstance(v, int) and c in _PLAIN_KEYS:  # a seed or year: no separators
                shown = str(v)
            else:
                shown = fmt_cell(v)
            cells.append(f"<td class='num'>{shown}</td>" if num else f"<td>{shown}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    klass = f" class='{esc(cls)}'" if cls else ""
    return (
        f"<div class='table-wrap'><table{klass}><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure_html(fig: Figure, caption: str, *, prefix: str) -> str:
    """A matplotlib figure as an inline SVG in a ``<figure>`` with an escaped caption."""
    svg = plots.figure_svg(fig, prefix=prefix)
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", f"<svg role='img' aria-label='{esc(caption)}'", 1)
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


_CSS = """
:root{--ink:#1d2430;--muted:#5b6675;--line:#d8dee6;--bg:#fff;--soft:#f4f6f9;--accent:#1f5fa8;
--warn:#c0392b}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:0 16px 48px}
header.top{border-bottom:3px solid var(--accent);margin-bottom:8px;padding:20px 0 8px}
h1{font-size:1.6rem;margin:0 0 4px;line-height:1.25}
h2{font-size:1.25rem;margin:36px 0 6px;padding-top:8px;border-top:1px solid var(--line)}
h3{font-size:1.05rem;margin:20px 0 6px}
p.lead,p.note{color:var(--muted);margin:4px 0 12px}
nav.toc{font-size:.9rem;margin:8px 0 0}
nav.toc ol{margin:0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px}
nav.toc a{color:var(--accent);text-decoration:none}
nav.toc a:hover{text-decoration:underline}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:8px 0 12px;
border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:last-child td{border-bottom:0}
table.headline td.prob{font-weight:700;font-size:1.05rem}
td.comment{color:var(--muted);min-width:14rem;max-width:40rem}
td.src{white-space:nowrap;font-size:.8rem;color:var(--muted)}
td.comment.inherited{font-style:italic}
td.key{min-width:9rem;max-width:18rem;overflow-wrap:break-word;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
font-size:.85rem}
figure{margin:12px 0 20px}
figure svg{display:block;width:100%;height:auto;max-width:820px}
figcaption{color:var(--muted);font-size:.88rem;margin-top:4px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px;
overflow:auto;max-height:32rem;font-size:.8rem;line-height:1.4}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:.9rem}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,
Consolas,monospace;font-size:.85rem}
.placeholder{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:0 6px;border-radius:4px;background:var(--soft);
border:1px solid var(--line);font-size:.85rem}
footer{margin-top:40px;padding-top:8px;border-top:3px solid var(--accent);color:var(--muted);
font-size:.85rem}
@media (max-width:640px){body{font-size:15px}main{padding:0 10px 32px}h1{font-size:1.3rem}
h2{font-size:1.1rem}th,td{padding:5px 7px}
figure{overflow-x:auto;-webkit-overflow-scrolling:touch}figure svg{min-width:600px}
dl.meta{grid-template-columns:1fr}
dl.meta dt{margin-top:6px}}
@media print{@page{margin:14mm}body{font-size:10.5pt}main{max-width:none;padding:0}
nav.toc{display:none}h2{break-after:avoid;page-break-after:avoid}
figure,table.headline,.table-wrap{break-inside:avoid;page-break-inside:avoid}
.table-wrap{overflow:visible;border:0}pre{max-height:none;overflow:visible;white-space:pre-wrap}
a{color:inherit;text-decoration:none}}
"""


def render_report(
    sections: Sequence[Section],
    *,
    title: str,
    subtitle: str = "",
    footer: Mapping[str, Any] | None = None,
) -> str:
    """The page: a title, a table of contents (``#`` anchors only), the sections in order and a
    footer of ``key: value`` pairs (seed, version, scenario hash, date, ...). All text given
    here is escaped; section bodies are taken as HTML."""
    toc = "".join(f"<li><a href='#{esc(s.id)}'>{esc(s.title)}</a></li>" for s in sections)
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<meta name='generator' content='leapforecast'>",
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<header class='top'><h1>{esc(title)}</h1>",
        f"<p class='lead'>{esc(subtitle)}</p>" if subtitle else "",
        f"<nav class='toc' aria-label='Contents'><ol>{toc}</ol></nav></header>",
    ]
    for s in sections:
        lead = f"<p class='lead'>{s.lead}</p>" if s.lead else ""
        parts.append(f"<section id='{esc(s.id)}'><h2>{esc(s.title)}</h2>{lead}{s.body}</section>")
    if footer:
        items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in footer.items())
        parts.append(f"<footer><dl class='meta'>{items}</dl></footer>")
    parts.append("</main></body></html>\n")
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- headline


def _outside_view(
    reference_rows: Sequence[Mapping[str, Any]] | None, scenario: str
) -> dict[tuple[int, int], float]:
    """(year, target) -> probability from the outside view's rows (keys ``year``, ``target``
    and one of ``prob_ge``/``probability``/``p_ge``; rows with a ``scenario`` apply to it)."""
    out: dict[tuple[int, int], float] = {}
    for row in reference_rows or ():
        if row.get("scenario") not in (None, "", scenario):
            continue
        prob = next((row[k] for k in _PROB_KEYS if row.get(k) not in (None, "")), None)
        try:
            key = (int(row["year"]), int(row["target"]))
        except (KeyError, TypeError, ValueError):
            continue
        if prob is not None:
            out[key] = float(prob)
    return out


def headline_rows(
    result: SimulationResult, reference_rows: Sequence[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The headline from the result's CSV rows (so the page shows exactly the CSV's numbers):
    one dict per (year, target) with the probability, its Monte Carlo s.e., the probability of
    having reached the target by then, and the outside view's probability or None."""
    outside = _outside_view(reference_rows, result.scenario)
    out = []
    for row in result.rows():
        for target in result.targets:
            out.append(
                {
                    "scenario": result.scenario,
                    "year": row["year"],
                    "target": target,
                    "prob_ge": row[f"prob_ge_{target}"],
                    "se_ge": row[f"se_ge_{target}"],
                    "prob_reached": row[f"prob_reached_{target}"],
                    "outside_view": outside.get((row["year"], target)),
                }
            )
    return out


def headline_html(
    results: Sequence[SimulationResult],
    reference_rows: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    many = len(results) > 1
    head = (
        ("<th scope='col'>Scenario</th>" if many else "")
        + "<th scope='col'>Year</th><th scope='col' class='num'>Target</th>"
        + "<th scope='col' class='num'>P(units ≥ target)</th>"
        + "<th scope='col' class='num'>Outside view</th>"
        + "<th scope='col' class='num'>Reached by then</th>"
        + "<th scope='col' class='num'>Monte Carlo s.e.</th>"
    )
    body = []
    for res in results:
        for r in headline_rows(res, reference_rows):
            cells = [f"<td>{esc(r['scenario'])}</td>"] if many else []
            cells += [
                f"<td>{r['year']}</td>",
                f"<td class='num'>{esc(short_units(r['target']))}</td>",
                f"<td class='num prob' data-prob='{r['prob_ge']}'>{fmt_prob(r['prob_ge'])}</td>",
                f"<td class='num outside'>{fmt_prob(r['outside_view'])}</td>",
                f"<td class='num reached'>{fmt_prob(r['prob_reached'])}</td>",
                f"<td class='num se' data-se='{r['se_ge']}'>{fmt_se(r['se_ge'])}</td>",
            ]
            body.append("<tr>" + "".join(cells) + "</tr>")
    table = (
        "<div class='table-wrap'><table class='headline'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
    no_outside = not any(_outside_view(reference_rows, res.scenario) for res in results)
    notes = [
        "P(units ≥ target): the share of simulated paths with at least that many cars in that "
        "year. Reached by then: in that year or any earlier one.",
        "Monte Carlo s.e. is the simulation's own noise (it shrinks with more paths); it is not "
        "the uncertainty of the forecast, which is the probability itself.",
    ]
    if no_outside:
        notes.append(
            "Outside view: not given (the base rate of makers at this scale, from the "
            "reference class, goes here)."
        )
    return table + "".join(f"<p class='note'>{esc(n)}</p>" for n in notes)


# --------------------------------------------------------------------------- assumptions


def _comment_of(line: str) -> str:
    """The ``# comment`` of a TOML line, ignoring '#' inside strings."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[i + 1 :].strip()
    return ""


def _block_above(lines: list[str], index: int) -> str:
    """The run of comment lines directly above line ``index`` (0-based), joined."""
    out: list[str] = []
    i = index - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        text = lines[i].lstrip()[1:].strip()
        if not text.startswith(":schema"):
            out.append(text)
        i -= 1
    return " ".join(reversed(out))


def _has_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, dict):
        return any(_has_number(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_number(v) for v in value)
    return False


def _num(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_value(value: object) -> str:
    """A scenario value as a reader sees it: ``pert(low 0.15, mode 0.4, high 0.75)``,
    ``500,000, 750,000``, ``to 0.1, half-life 2`` (plain text; escape before use)."""
    if isinstance(value, dict):
        if "dist" in value:
            args = ", ".join(f"{k} {format_value(v)}" for k, v in value.items() if k != "dist")
            return f"{value['dist']}({args})"
        return ", ".join(f"{k.replace('_', '-')} {format_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    return _num(value)


def _lookup(doc: Any, path: Sequence[str]) -> Any:
    for part in path:
        if isinstance(doc, list):
            try:
                doc = doc[int(part)]
            except (ValueError, IndexError):
                return None
        elif isinstance(doc, dict):
            if part not in doc:
                return None
            doc = doc[part]
        else:
            return None
    return doc


def shown_path(label: str) -> str:
    """A scenario file's name as a report sent on shows it: a bundled file as
    ``scenarios/NAME.toml``, a file under the working directory relative to it, any other by
    its name alone (an absolute path says where the author keeps their files, nothing more)."""
    from pathlib import Path

    from leapforecast.model.files import bundled_dir

    path = Path(label)
    if not path.is_absolute():
        return label
    for base, prefix in ((bundled_dir(), "scenarios/"), (Path.cwd(), "")):
        try:
            return prefix + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name


def assumptions(scenario: Scenario) -> list[dict[str, str]]:
    """Every number the scenario files set, with where it is and the comment that explains it.

    Reads each file of the extends chain (child first; a key the child sets hides the parent's).
    A key's comment is the one on its line plus the comment block directly above it; a key with
    neither gets its table's comment (the block under or above the ``[table]`` header), marked
    ``inherited``. Entries of ``[[event]]`` lists are named by their ``name``. Returns dicts with
    ``key``, ``value``, ``source`` (file:line), ``comment`` and ``inherited`` ('1' or '').
    """
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, ...]] = set()
    for source in getattr(scenario, "sources", None) or []:
        try:
            doc = tomllib.loads(source.text)
        except tomllib.TOMLDecodeError:
            continue
        lines = source.text.splitlines()
        table_comment: dict[tuple[str, ...], str] = {}
        for path, lineno in key_lines(source.text):
            line = lines[lineno - 1]
            if line.lstrip().startswith("["):
                below = []
                for nxt in lines[lineno:]:
                    if not nxt.lstrip().startswith("#"):
                        break
                    below.append(nxt.lstrip()[1:].strip())
                table_comment[path] = " ".join(
                    x for x in [_block_above(lines, lineno - 1), *below] if x
                )
                continue
            value = _lookup(doc, path)
            if not _has_number(value):
                continue
            shown = list(path)
            for i in range(len(path) - 1):
                item = _lookup(doc, path[: i + 1])
                if isinstance(item, list):
                    entry = _lookup(doc, path[: i + 2])
                    if isinstance(entry, dict) and "name" in entry:
                        shown[i + 1] = f"[{entry['name']}]"
            shown_key = tuple(shown)
            if shown_key in seen:
                continue
            seen.add(shown_key)
            own = " ".join(x for x in (_block_above(lines, lineno - 1), _comment_of(line)) if x)
            inherited = ""
            if not own:
                for n in range(len(path) - 1, 0, -1):
                    if table_comment.get(tuple(path[:n])):
                        own, inherited = table_comment[tuple(path[:n])], "1"
                        break
            rows.append(
                {
                    "key": ".".join(shown).replace(".[", " ["),
                    "value": str(value) if path[-1] in _PLAIN_KEYS else format_value(value),
                    "source": f"{shown_path(source.label)}:{lineno}",
                    "comment": own,
                    "inherited": inherited,
                }
            )
    return rows


def assumptions_html(scenario: Scenario) -> str:
    rows = assumptions(scenario)
    if not rows:
        return "<p class='placeholder'>No scenario file text to read assumptions from.</p>"
    body = ""
    previous = None
    for r in rows:
        comment = esc(r["comment"]) or "—"
        if r["inherited"] and r["comment"] == previous:
            comment = "same as above"
        previous = r["comment"]
        body += (
            "<tr>"
            f"<td class='key'>{esc(r['key']).replace('.', '.<wbr>')}</td>"
            f"<td>{esc(r['value'])}</td>"
            f"<td class='comment{' inherited' if r['inherited'] else ''}'>{comment}</td>"
            f"<td class='src'>{esc(r['source'])}</td>"
            "</tr>"
        )
    return (
        "<div class='table-wrap'><table class='assumptions'><thead><tr>"
        "<th scope='col'>Key</th><th scope='col'>Value</th>"
        "<th scope='col'>Source and reasoning (the file's comment)</th>"
        "<th scope='col'>File:line</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
        "<p class='note'>Comments in italics belong to the key's table, not to the key itself.</p>"
    )


# --------------------------------------------------------------------------- the report


def _placeholder(text: str) -> str:
    return f"<p class='placeholder'>{esc(text)}</p>"


def _comparison_html(
    results: Sequence[SimulationResult], comparison: Comparison | None, year: int
) -> str:
    cmp_results = list(comparison.results) if comparison is not None else list(results)
    labels = list(comparison.labels) if comparison is not None else [r.scenario for r in results]
    targets = sorted({t for r in cmp_results for t in r.targets})
    columns = ["scenario", "year", "median"]
    headers = {"scenario": "Scenario", "year": "Year", "median": "Median units"}
    rows = []
    for i, (label, res) in enumerate(zip(labels, cmp_results, strict=True)):
        for csv_row in res.rows():
            row: dict[str, Any] = {"scenario": label, "year": csv_row["year"]}
            row["median"] = csv_row["p50"]
            for t in targets:
                key = f"prob_ge_{t}"
                row[key] = fmt_prob(csv_row[key]) if key in csv_row else None
                if comparison is not None and i != comparison.reference:
                    diff = comparison.difference(i, t, csv_row["year"])
                    row[f"delta_{t}"] = (
                        f"{100 * diff[0]:+.1f} pt (s.e. {100 * diff[1]:.2f})" if diff else None
                    )
            rows.append(row)
    for t in targets:
        columns.append(f"prob_ge_{t}")
        headers[f"prob_ge_{t}"] = f"P(≥ {short_units(t)})"
        if comparison is not None and len(cmp_results) > 1:
            columns.append(f"delta_{t}")
            ref = labels[comparison.reference]
            headers[f"delta_{t}"] = f"vs {ref} (paired)"
    out = table_html(columns, rows, headers=headers)
    if comparison is not None:
        out += figure_html(
            plots.comparison_figure(comparison, year),
            f"Medians with p10-p90 bands and exceedance curves in {year}, common random numbers",
            prefix="cmp",
        )
        out += (
            "<p class='note'>Differences are measured path by path on common random numbers; "
            "their s.e. is Monte Carlo error.</p>"
        )
    return out


def _calibration_html(rows: Sequence[Mapping[str, Any]] | None) -> str:
    if not rows:
        return _placeholder(
            "No backtest was given: run 'leapforecast backtest' for each scenario to see how "
            "often its intervals held the outcome in past years."
        )
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    return table_html(columns, rows)


def _exceedance_figure(results: Sequence[SimulationResult], year: int) -> Figure:
    fig = plots._figure(figsize=(8, 4.6))
    ax = fig.add_subplot()
    for i, res in enumerate(results):
        if year in res.years and res.totals is not None:
            plots.exceedance_curve(
                res,
                year,
                ax=ax,
                label=res.scenario,
                color=f"C{i % 10}" if len(results) > 1 else plots.BLUE,
                mark_targets=len(results) == 1,
            )
    if len(results) > 1:
        for t in sorted({t for r in results for t in r.targets}):
            ax.axvline(t, color=plots.TARGET, linewidth=0.8, linestyle=":")
        ax.legend(fontsize=8, frameon=False, loc="upper right")
    return fig


def build_report(
    results: Sequence[SimulationResult],
    *,
    scenarios: Sequence[Scenario | None] | None = None,
    comparison: Comparison | None = None,
    sensitivity: SensitivityReport | None = None,
    calibration_rows: Sequence[Mapping[str, Any]] | None = None,
    reference_rows: Sequence[Mapping[str, Any]] | None = None,
    year: int | None = None,
    date: str | None = None,
    command: str | None = None,
    title: str | None = None,
) -> str:
    """The standard report of one or more runs, as one HTML string.

    ``results`` are the runs (one per scenario; their per-path totals are needed for the
    exceedance curve and histogram). ``scenarios`` are the matching ``Scenario`` objects, for the
    sales history in the fan chart, the assumptions table and the resolved scenario (without
    them those parts say so). ``comparison`` is a ``Comparison`` of the same scenarios (paired
    differences); ``sensitivity`` a ``SensitivityReport`` (tornado); ``calibration_rows`` the
    backtest's rows (any dicts; a ``scenario`` key says whose); ``reference_rows`` the outside
    view as dicts with ``year``, ``target`` and ``prob_ge`` (and optionally ``scenario``).
    ``year`` is the year of the exceedance curve and histogram (default: the first forecast
    year). ``date`` is printed in the footer as given: the page has no other date, so the same
    inputs give the same bytes.
    """
    results = list(results)
    if not results:
        from leapforecast.errors import UsageError

        raise UsageError("a report needs at least one simulation result")
    scenarios = list(scenarios) if scenarios is not None else [None] * len(results)
    if len(scenarios) != len(results):
        from leapforecast.errors import UsageError

        raise UsageError(f"{len(results)} results but {len(scenarios)} scenarios")
    first = results[0]
    year = resolve_year(first.years, year)
    names = ", ".join(r.scenario for r in results)
    title = title or f"Leapmotor sales forecast: {names}"
    sections: list[Section] = []

    sections.append(
        Section(
            "headline",
            "How likely is each target?",
            headline_html(results, reference_rows),
            esc(
                f"Probability that annual deliveries reach each target, from {first.paths:,} "
                "simulated paths per scenario."
            ),
        )
    )

    fans = "".join(
        figure_html(
            _fan_figure(res, getattr(sc, "history", None)),
            f"{res.scenario}: sales history and forecast bands (p5-p95, p10-p90, p25-p75), "
            "median and mean; dotted lines are the targets",
            prefix=f"fan{i}",
        )
        for i, (res, sc) in enumerate(zip(results, scenarios, strict=True))
    )
    sections.append(Section("fan", "Forecast fan chart", fans))

    sections.append(
        Section(
            "exceedance",
            f"Exceedance curve, {year}",
            figure_html(
                _exceedance_figure(results, year),
                f"P(units ≥ x) in {year}: read off the chance of beating any number",
                prefix="exc",
            ),
        )
    )

    hists = "".join(
        figure_html(
            plots.histogram_figure(res, year),
            f"{res.scenario}: distribution of units in {year} with the targets",
            prefix=f"hist{i}",
        )
        for i, res in enumerate(results)
        if res.totals is not None and year in res.years
    )
    sections.append(
        Section(
            "histogram",
            f"Outcomes in {year}",
            hists or _placeholder("The run kept no per-path totals, so there is no histogram."),
        )
    )

    if sensitivity is not None:
        body = figure_html(
            plots.tornado_figure(sensitivity),
            "Each input held at its 10th and 90th percentile, all else drawn",
            prefix="tor",
        )
        body += "".join(f"<p class='note'>{esc(n)}</p>" for n in sensitivity.notes)
    else:
        body = _placeholder("No sensitivity analysis was given ('leapforecast sensitivity').")
    sections.append(Section("tornado", "Which assumptions matter", body))

    if comparison is not None or len(results) > 1:
        body = _comparison_html(results, comparison, year)
    else:
        body = _placeholder("One scenario: give several to compare them.")
    sections.append(Section("comparison", "Scenarios compared", body))

    sections.append(
        Section(
            "calibration",
            "Calibration: did such forecasts hold in the past?",
            _calibration_html(calibration_rows),
        )
    )

    body = ""
    for res, sc in zip(results, scenarios, strict=True):
        heading = f"<h3>{esc(res.scenario)}</h3>" if len(results) > 1 else ""
        body += heading + (
            assumptions_html(sc) if sc is not None else _placeholder("Scenario not given.")
        )
    sections.append(Section("assumptions", "Assumptions and their sources", body))

    body = ""
    for res, sc in zip(results, scenarios, strict=True):
        heading = f"<h3>{esc(res.scenario)}</h3>" if len(results) > 1 else ""
        if sc is None:
            body += heading + _placeholder("Scenario not given.")
            continue
        text = json.dumps(sc.document(), indent=2, ensure_ascii=False)
        body += f"{heading}<pre><code>{esc(text)}</code></pre>"
    sections.append(
        Section(
            "scenario",
            "Resolved scenario",
            body,
            esc("After extends and overrides, as simulated (JSON)."),
        )
    )

    run_rows = [
        {
            "scenario": r.scenario,
            "paths": r.paths,
            "seed": r.seed,
            "sampling": r.sampling,
            "history": r.history_source,
            "scenario_sha256": r.scenario_sha256,
        }
        for r in results
    ]
    sections.append(Section("run", "This run", table_html(list(run_rows[0]), run_rows, cls="run")))

    footer: dict[str, Any] = {
        "leapforecast": first.version or __version__,
        "seed": ", ".join(sorted({str(r.seed) for r in results})),
        "paths": ", ".join(sorted({f"{r.paths:,}" for r in results})),
    }
    for r in results:
        footer[f"scenario hash ({r.scenario})"] = r.scenario_sha256
    if command:
        footer["command"] = command
    if date:
        footer["date"] = date
    return render_report(
        sections,
        title=title,
        subtitle=f"Base year {first.base_year}: {first.base_units:,.0f} units. "
        f"Targets: {', '.join(short_units(t) for t in first.targets)}.",
        footer=footer,
    )


def _fan_figure(result: SimulationResult, history: plots.YearlySeries | None) -> Figure:
    fig = plots._figure(figsize=(8, 4.8))
    plots.fan_chart(result, ax=fig.add_subplot(), history=history)
    return fig


__all__ = [
    "SECTION_IDS",
    "Section",
    "assumptions",
    "build_report",
    "esc",
    "figure_html",
    "fmt_prob",
    "fmt_se",
    "format_value",
    "headline_rows",
    "render_report",
    "table_html",
]
