"""Property-based tests (hypothesis): random valid scenarios keep every invariant, and random
mutations of scenario files, ``--set`` overrides and CSV histories only ever raise the
project's own errors.

Every test runs with the derandomised ``ci`` profile below (fixed examples, no deadline, no
example database), so the suite is deterministic; ``pytest --hypothesis-profile=ci`` loads the
same profile for any other hypothesis test. Path counts stay small so the module runs in seconds.
"""

from __future__ import annotations

import json
import math
import os
import string
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from leapforecast.data.history import load_history, parse_history
from leapforecast.engine.results import QUANTILES
from leapforecast.engine.run import simulate
from leapforecast.errors import HistoryError, LeapforecastError
from leapforecast.model.files import bundled_scenarios
from leapforecast.model.inputs import input_names
from leapforecast.model.scenario import load_scenario
from leapforecast.report import run as render

# LEAPFORECAST_FUZZ=N: fresh random examples and N times as many (a deeper search, e.g. after an
# engine change); unset, CI runs the same fixed examples every time.
FUZZ = int(os.environ.get("LEAPFORECAST_FUZZ", "0") or 0)
SCALE = max(FUZZ, 1)

settings.register_profile(
    "ci",
    derandomize=not FUZZ,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CI = settings.get_profile("ci")

BASE_YEAR = 2025  # last year of builtin:leapmotor
BASE_UNITS = 596_555


@pytest.fixture(scope="module", autouse=True)
def _private_cache():
    """Random PERT/beta shapes build quantile tables; keep them out of the user's cache."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEAPFORECAST_CACHE", folder)
        yield


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hypothesis")


_counter = iter(range(10**9))


def write(folder: Path, text: str, suffix: str = ".toml") -> Path:
    path = folder / f"case{next(_counter)}{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- TOML writing


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(value)


def to_toml(doc: dict[str, Any]) -> str:
    """A scenario document as TOML: plain tables, [[arrays]] of tables, [segment.NAME]."""
    lines: list[str] = []
    for key, value in doc.items():
        if key == "segment":
            for name, seg in value.items():
                lines.append(f"[segment.{json.dumps(name)}]")
                lines += [f"{k} = {toml_value(v)}" for k, v in seg.items()]
        elif isinstance(value, list):
            for item in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in item.items()]
        else:
            lines.append(f"[{key}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- strategies

# Ranges stay realistic: the engine does not (yet) guard against growth that overflows float32
# (see test_hostile_inputs.py), and these tests are about invariants, not overflow.


def num(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.one_of(
        st.floats(lo, hi, allow_nan=False, allow_infinity=False),
        st.sampled_from([lo, hi, (lo + hi) / 2]),
    )


@st.composite
def dist(draw, lo: float, hi: float, *, normal: bool = False, lognormal: bool = True) -> Any:
    """A valid distribution (any kind) whose support stays within [lo, hi]."""
    kinds = ["fixed", "fixed-table", "uniform", "triangular", "pert", "beta", "choice"]
    if lognormal and lo >= 0 and hi > 0:
        kinds.append("lognormal")
    if normal:
        kinds.append("normal")
    kind = draw(st.sampled_from(kinds))
    if kind == "fixed":
        return draw(num(lo, hi))
    if kind == "fixed-table":
        return {"dist": "fixed", "value": draw(num(lo, hi))}
    if kind == "choice":
        values = draw(st.lists(num(lo, hi), min_size=1, max_size=4))
        out: dict[str, Any] = {"dist": "choice", "values": values}
        if draw(st.booleans()):
            weights = draw(st.lists(st.floats(0, 5), min_size=len(values), max_size=len(values)))
            assume(sum(weights) > 0)
            out["weights"] = weights
        return out
    if kind == "lognormal":
        # a 90% interval well inside [lo, hi]: the tails beyond it stay plausible
        a, b = sorted(draw(st.lists(num(max(lo, 1e-3 * hi), hi / 3), min_size=2, max_size=2)))
        assume(b > a * 1.01)
        return {"dist": "lognormal", "p5": a, "p95": b}
    if kind == "normal":
        mid = draw(num(lo / 2, hi / 2))
        return {"dist": "normal", "mean": mid, "sd": draw(num(0, (hi - lo) / 8))}
    low, mode, high = sorted(draw(st.lists(num(lo, hi), min_size=3, max_size=3)))
    if kind == "uniform":
        return {"dist": "uniform", "low": low, "high": high}
    if kind == "triangular":
        return {"dist": "triangular", "low": low, "mode": mode, "high": high}
    if kind == "pert":
        out = {"dist": "pert", "low": low, "mode": mode, "high": high}
        if draw(st.booleans()):
            out["lamb"] = draw(st.sampled_from([1.0, 2.5, 4.0, 8.0]))
        return out
    alpha = draw(st.sampled_from([0.5, 1.0, 2.0, 5.0]))
    beta = draw(st.sampled_from([0.7, 1.0, 3.0]))
    return {"dist": "beta", "alpha": alpha, "beta": beta, "low": low, "high": high}


CEILING = dist(300_000, 4_000_000, lognormal=True)


@st.composite
def growth(draw) -> dict[str, Any]:
    out: dict[str, Any] = {"rate": draw(st.one_of(dist(-0.4, 1.2), st.just({"dist": "bootstrap"})))}
    if draw(st.booleans()):
        out["volatility"] = draw(dist(0.0, 0.4))
    if draw(st.booleans()):
        out["fade"] = {"to": draw(dist(-0.2, 0.4)), "half_life": draw(num(0.3, 8.0))}
    return out


@st.composite
def scenarios(draw) -> dict[str, Any]:
    """A random valid scenario document (no correlations: they need the input names)."""
    horizon = BASE_YEAR + draw(st.integers(1, 7))
    years = list(range(BASE_YEAR + 1, horizon + 1))
    targets = draw(
        st.lists(
            st.one_of(st.integers(0, 3_000_000), st.sampled_from(["500k", "1M", "1_250_000", 0])),
            min_size=1,
            max_size=4,
        )
    )
    doc: dict[str, Any] = {
        "scenario": {"name": "hyp", "description": "random valid scenario"},
        "simulation": {
            "horizon": horizon,
            "paths": draw(st.one_of(st.just(1), st.integers(2, 300))),
            "seed": draw(st.integers(0, 2**32)),
            "sampling": draw(st.sampled_from(["random", "lhs", "sobol"])),
            "targets": targets,
        },
    }
    segments: dict[str, dict[str, Any]] = {}
    n_seg = draw(st.sampled_from([0, 0, 1, 2, 3]))
    if draw(st.booleans()):  # segment bases (up to 3 x 150k) must leave a remainder
        doc["history"] = {"base_units": draw(num(1_000 if n_seg == 0 else 500_000, 2_000_000))}
    top_growth = n_seg == 0 or draw(st.booleans())
    if top_growth:
        doc["growth"] = draw(growth())
    if n_seg:
        shares = draw(st.lists(st.floats(0, 1 / n_seg), min_size=n_seg, max_size=n_seg))
        for i in range(n_seg):
            seg: dict[str, Any] = {}
            last = i == n_seg - 1  # only one segment may take the remainder
            how = draw(st.sampled_from(["share", "base", "rest"] if last else ["share", "base"]))
            if how == "share":
                seg["share"] = shares[i]
            elif how == "base":
                seg["base"] = draw(num(0, 150_000))
            if not top_growth or draw(st.booleans()):
                seg["growth"] = draw(growth())
            if draw(st.integers(0, 3)) == 0:
                seg["saturation"] = {"ceiling": draw(CEILING)}
            segments[f"seg{i}"] = seg
        last_seg = segments[f"seg{n_seg - 1}"]
        if any("share" in g for g in segments.values()) and (
            "share" in last_seg or "base" in last_seg
        ):
            # shares that cover less than the base year need a remainder segment (issue 17)
            last_seg.pop("share", None)
            last_seg.pop("base", None)
        doc["segment"] = segments
    if draw(st.integers(0, 3)) == 0:
        doc["saturation"] = {"ceiling": draw(CEILING)}
    events = []
    for i in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["multiply", "add"]))
        impact = dist(-0.9, 1.0) if kind == "multiply" else dist(-200_000, 200_000, normal=True)
        first = draw(st.sampled_from(years))
        year: Any = first
        if draw(st.booleans()):
            year = [first, draw(st.sampled_from([y for y in years if y >= first]))]
        event: dict[str, Any] = {
            "name": draw(st.sampled_from([f"event {i}", f"e{i}", f"tax-cut-{i}"])),
            "year": year,
            "probability": draw(st.one_of(st.sampled_from([0.0, 1.0, 1, 0]), st.floats(0, 1))),
            "kind": kind,
            "impact": draw(impact),
            "persistence": draw(st.sampled_from(["permanent", "one-year"])),
        }
        if segments and draw(st.booleans()):
            event["segment"] = draw(st.sampled_from(sorted(segments)))
        events.append(event)
    if events:
        doc["event"] = events
    capacity = draw(st.sampled_from([None, "units", "schedule"]))
    if capacity == "units":
        doc["capacity"] = {"units": draw(st.one_of(st.just(0), dist(0, 3_000_000)))}
        if draw(st.booleans()):
            doc["capacity"]["growth"] = draw(dist(-0.5, 0.5))
    elif capacity == "schedule":
        keep = draw(st.lists(st.sampled_from(years), min_size=1, unique=True))
        keep = sorted(set(keep) | {years[0]})
        doc["capacity"] = {"schedule": {str(y): draw(dist(0, 3_000_000)) for y in keep}}
    return doc


@st.composite
def with_correlations(draw, folder: Path) -> tuple[dict[str, Any], Path]:
    """A scenario plus rank correlations between disjoint pairs of its uncertain inputs
    (a block-diagonal matrix with |rho| < 1 is always positive definite)."""
    doc = draw(scenarios())
    path = write(folder, to_toml(doc))
    names = sorted(input_names(load_scenario(path).spec))
    if len(names) >= 2 and draw(st.booleans()):
        order = draw(st.permutations(names))
        pairs = [order[i : i + 2] for i in range(0, len(order) - 1, 2)]
        pairs = pairs[: draw(st.integers(1, len(pairs)))]
        doc["correlation"] = [
            {"between": list(p), "rho": draw(st.floats(-0.95, 0.95))} for p in pairs
        ]
        path = write(folder, to_toml(doc))
    return doc, path


# --------------------------------------------------------------------------- invariants


def _finite_json(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise AssertionError(f"non-finite {token} in JSON output")

    return json.loads(text, parse_constant=refuse)


def check_invariants(result, doc: dict[str, Any]) -> None:
    n = result.paths
    pg, pr, se = result.prob_ge, result.prob_reached, result.se_ge
    for array in (result.mean, result.quantiles, pg, pr, se):
        assert np.all(np.isfinite(array))
    assert np.all((pg >= 0) & (pg <= 1)) and np.all((pr >= 0) & (pr <= 1))
    # monotone in target (targets ascending), reached-by non-decreasing, reached >= in that year
    assert result.targets == sorted(set(result.targets))
    assert np.all(np.diff(result.count_ge, axis=0) <= 0)
    assert np.all(np.diff(result.count_reached, axis=0) <= 0)
    assert np.all(np.diff(result.count_reached, axis=1) >= 0)
    assert np.all(result.count_reached >= result.count_ge)
    assert np.all(result.count_reached[:, -1] <= n)
    # quantiles ordered, non-negative; the mean lies within the simulated range
    assert np.all(np.diff(result.quantiles, axis=0) >= 0)
    assert np.all(result.quantiles >= 0) and np.all(result.mean >= 0)
    totals = np.asarray(result.totals, dtype=np.float64)
    assert totals.shape == (n, len(result.years)) and np.all(np.isfinite(totals))
    assert np.all(result.mean <= totals.max(axis=0) * (1 + 1e-6) + 1e-6)
    assert np.all(result.mean >= totals.min(axis=0) * (1 - 1e-6) - 1e-6)
    # probabilities agree with the quantiles they sit between
    p5, p95 = result.quantiles[QUANTILES.index(5)], result.quantiles[QUANTILES.index(95)]
    for k, target in enumerate(result.targets):
        below = target < p5 * (1 - 1e-6)
        above = target > p95 * (1 + 1e-6)
        assert np.all(pg[k][below] >= 0.95 - 1.0 / n)
        assert np.all(pg[k][above] <= 0.05 + 1.0 / n)
    # first-year distribution: shares of paths that sum to one
    for row in result.first_year_distribution().values():
        assert all(0 <= v <= 1 for v in row.values())
        assert math.isclose(sum(row.values()), 1.0, abs_tol=1e-9)
    # events with probability 0 never fire; with probability 1 always do
    for ev in doc.get("event", []):
        fired = result.event_fired[ev["name"]]
        if ev["probability"] == 0:
            assert fired == 0
        elif ev["probability"] == 1:
            assert fired == n
    if result.capacity_bound is not None:
        assert np.all((result.capacity_bound >= 0) & (result.capacity_bound <= n))
    # outputs: the CSV and JSON contracts carry only finite plain numbers
    csv_text = render.result_csv(result)
    header, *rows = csv_text.splitlines()
    assert len(rows) == len(result.years)
    for row in rows:
        for cell in row.split(",")[1:]:
            assert math.isfinite(float(cell)), row
    doc_json = _finite_json(render.result_json(result))
    assert [r["year"] for r in doc_json["rows"]] == result.years
    for width in (80, 40):
        text = _tables(result, width)
        assert "nan" not in text.lower().replace("tax-cut", "") and "inf%" not in text


def _tables(result, width: int) -> str:
    import io

    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, highlight=False, soft_wrap=False)
    for item in render.result_tables(result):
        console.print(item)
    return buf.getvalue()


@settings(CI, max_examples=70 * SCALE)
@given(data=st.data())
def test_random_valid_scenarios_keep_the_invariants(folder, data):
    doc, path = data.draw(with_correlations(folder))
    scenario = load_scenario(path)
    result = simulate(scenario)
    for feature in ("segment", "event", "capacity", "correlation", "saturation"):
        event(f"{feature}: {feature in doc}")
    event(f"sampling: {doc['simulation']['sampling']}")
    assert result.paths == doc["simulation"]["paths"]
    assert result.years == list(range(BASE_YEAR + 1, doc["simulation"]["horizon"] + 1))
    check_invariants(result, doc)


@settings(CI, max_examples=15 * SCALE)
@given(data=st.data())
def test_same_inputs_same_bytes_and_jobs_do_not_matter(folder, data):
    doc, path = data.draw(with_correlations(folder))
    scenario = load_scenario(path)
    one = render.result_csv(simulate(scenario, jobs=1))
    two = render.result_csv(simulate(scenario, jobs=2))
    assert one == two


# --------------------------------------------------------------------------- fuzzing: scenarios

TOKENS = [
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-1",
    "0",
    "-0.0",
    "1e-400",
    "99999999999999999999999",
    '"x"',
    '""',
    "[]",
    "{}",
    "[1, 2]",
    "true",
    "=",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    '"',
    "'",
    "#",
    "\n",
    "[[event]]",
    "[growth]",
    "[capacity]",
    "dist",
    '"pert"',
    '"bootstrap"',
    "extends",
    "0x10",
    "1_000_000",
    '"1M"',
    '"500k"',
    "2025",
    "2200",
    "1900",
    "\x00",
    "\ufeff",
    "é",
    "\\",
]


def _seed_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in bundled_scenarios().values()]
    texts.append(
        '[growth]\nrate = { dist = "pert", low = 0.1, mode = 0.4, high = 0.8 }\nvolatility = 0.1\n'
        '[[event]]\nname = "tax"\nyear = 2026\nprobability = 0.5\nimpact = -0.05\n'
        '[capacity]\nunits = 900_000\ngrowth = 0.1\n[simulation]\ntargets = ["500k", "1M"]\n'
    )
    return texts


SEEDS = _seed_texts()


@st.composite
def mutated_toml(draw) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "swap", "dup"]))
        lines = text.splitlines(keepends=True)
        if op == "delete" and text:
            i = draw(st.integers(0, len(text) - 1))
            text = text[:i] + text[i + draw(st.integers(1, 20)) :]
        elif op in ("insert", "replace"):
            i = draw(st.integers(0, len(text)))
            token = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)))
            cut = draw(st.integers(0, 8)) if op == "replace" else 0
            text = text[:i] + token + text[i + cut :]
        elif op == "truncate" and text:
            text = text[: draw(st.integers(0, len(text) - 1))]
        elif op == "swap" and len(lines) > 1:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == "dup" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])
    return text


@settings(CI, max_examples=250 * SCALE)
@given(text=mutated_toml())
def test_mutated_scenario_files_raise_only_our_errors(folder, text):
    path = write(folder, text)
    try:
        scenario = load_scenario(path, paths=64, horizon=None)
        simulate(scenario, paths=64)
        event("ran")
    except LeapforecastError as exc:
        event(type(exc).__name__)
        for line in getattr(exc, "problems", [str(exc)]):  # one line per problem
            assert line.strip() and "\n" not in line.strip()


@settings(CI, max_examples=80 * SCALE)
@given(data=st.binary(max_size=300))
def test_random_bytes_as_a_scenario_raise_only_our_errors(folder, data):
    path = folder / f"bytes{next(_counter)}.toml"
    path.write_bytes(data)
    try:
        simulate(load_scenario(path), paths=16)
    except LeapforecastError:
        pass


KEYS = [
    "growth.rate",
    "growth.volatility",
    "growth.fade.to",
    "growth.fade.half_life",
    "growth.rate.low",
    "growth.rate.dist",
    "simulation.paths",
    "simulation.horizon",
    "simulation.seed",
    "simulation.targets",
    "simulation.sampling",
    "history.base_units",
    "history.base_year",
    "history.source",
    "capacity.units",
    "capacity.growth",
    "capacity.schedule",
    "event.0.probability",
    "event.0.year",
    "event.0.impact",
    "event.purchase-tax exemption halved.kind",
    "event.5.name",
    "segment.x.share",
    "correlation",
    "scenario.extends",
    "saturation.ceiling",
    "growth",
    "nope.key",
    "",
    "growth..rate",
    "event.-1.year",
]
VALUES = [
    "0",
    "-1",
    "1",
    "0.5",
    "nan",
    "inf",
    "1e400",
    "1e300",
    "-1e300",
    "2200",
    "9999",
    "1900",
    '"x"',
    "abc",
    "[]",
    "[0]",
    '["1M", "500k"]',
    "{}",
    '{ dist = "uniform", low = 1, high = 0 }',
    '{ dist = "normal", mean = 0, sd = 1 }',
    "true",
    '"builtin:nope"',
    '"/etc"',
    '"."',
    "",
    "[2026, 2025]",
    "[2026, 2027, 2028]",
    '"random"',
    '"sobol"',
    "100000000",
]


@settings(CI, max_examples=200 * SCALE)
@given(
    assignments=st.lists(
        st.tuples(st.sampled_from(KEYS), st.one_of(st.sampled_from(VALUES), st.text(max_size=5))),
        min_size=1,
        max_size=3,
    )
)
def test_random_overrides_raise_only_our_errors(assignments):
    overrides = [f"{k}={v}" for k, v in assignments]
    try:
        scenario = load_scenario(None, overrides=overrides)
        simulate(scenario, paths=32)
        event("ran")
    except LeapforecastError as exc:
        event(type(exc).__name__)


# --------------------------------------------------------------------------- fuzzing: histories

cells = st.one_of(
    st.integers(1800, 2200).map(str),
    st.integers(-5, 2_000_000_000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["", " ", "nan", "inf", "-0", "1e-300", "1,000", "1_000", "2024.5", '"2024"', "x"]
    ),
    st.text(alphabet=string.printable, max_size=6),
)


@st.composite
def csv_histories(draw) -> str:
    """Plausible histories with a few corrupted cells, or rows of random cells."""
    header = draw(
        st.sampled_from(
            ["year,units", "year,units,source", "units,year", "Year , Units", "yr,units", ""]
        )
    )
    if draw(st.booleans()):
        years = sorted(draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=7, unique=True)))
        rows = [[str(y), str(draw(st.integers(1, 2_000_000))), "note"] for y in years]
        for _ in range(draw(st.integers(0, 2))):
            if rows:
                row = draw(st.sampled_from(rows))
                row[draw(st.integers(0, 2))] = draw(cells)
        if header.startswith("units"):
            rows = [[r[1], r[0], r[2]] for r in rows]
    else:
        rows = draw(st.lists(st.lists(cells, min_size=0, max_size=3), max_size=8))
    end = draw(st.sampled_from(["", "\n", "\r\n"]))
    return header + "\n" + "\n".join(",".join(r) for r in rows) + end


def _check_history(hist) -> None:
    assert len(hist.years) >= 1 and len(hist.years) == len(hist.units)
    assert all(b > a for a, b in zip(hist.years, hist.years[1:], strict=False))
    assert all(math.isfinite(u) and 1 <= u <= 1e9 for u in hist.units)
    if len(hist.years) > 1:
        stats = hist.stats()
        assert math.isfinite(stats.cagr) and math.isfinite(stats.mean_log_growth)
        assert all(math.isfinite(g) for g in hist.growth_rates())


@settings(CI, max_examples=300 * SCALE)
@given(text=csv_histories())
def test_random_csv_histories_parse_or_raise_history_errors(text):
    try:
        hist = parse_history(text, source="fuzz.csv")
    except HistoryError as exc:
        assert str(exc).startswith("fuzz.csv: ") and "\n" not in str(exc)
        event("refused")
        return
    event(f"parsed {min(len(hist.years), 3)}+ rows")
    _check_history(hist)
    _finite_json(hist.to_json())


@settings(CI, max_examples=150 * SCALE)
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_random_history_files_raise_only_history_errors(folder, data):
    path = folder / f"hist{next(_counter)}.csv"
    path.write_bytes(data)
    try:
        hist = load_history(path)
    except HistoryError:
        return
    _check_history(hist)


@settings(CI, max_examples=40 * SCALE)
@given(
    years=st.lists(st.integers(2000, 2025), min_size=1, max_size=6, unique=True),
    units=st.lists(st.floats(1, 1e9), min_size=6, max_size=6),
    base_year=st.one_of(st.none(), st.integers(1999, 2026)),
)
def test_scenarios_on_random_histories_run_or_refuse(folder, years, units, base_year):
    """A bootstrap scenario on any valid history either runs with finite output or is refused."""
    years = sorted(years)
    rows = "".join(f"{y},{u!r}\n" for y, u in zip(years, units, strict=False))
    csv_path = write(folder, "year,units\n" + rows, ".csv")
    text = f'[history]\nsource = "{csv_path.name}"\n'
    if base_year is not None:
        text += f"base_year = {base_year}\n"
    text += '[growth]\nrate = { dist = "bootstrap" }\nvolatility = 0.1\n'
    text += "[simulation]\nhorizon = 2028\n"
    path = write(folder, text)
    try:
        scenario = load_scenario(path)
    except LeapforecastError:
        return
    result = simulate(scenario, paths=50)
    if result.quantiles.max() < 1e30:  # growth of up to 1e9x a year can overflow: see hostile tests
        check_invariants(result, {})


@pytest.mark.skipif(bool(FUZZ), reason="LEAPFORECAST_FUZZ asks for random examples")
def test_profile_is_derandomised():
    assert CI.derandomize and CI.database is None and CI.deadline is None
    assert os.environ.get("LEAPFORECAST_CACHE")  # the module fixture is active
