"""leapforecast.model.checks."""

from __future__ import annotations

import collections
import difflib
from typing import Any

from pydantic import BaseModel

from leapforecast.data.history import History, load_history
from leapforecast.data.peers import peer_intervals
from leapforecast.data.targets import hit_ratios, load_targets
from leapforecast.errors import HistoryError
from leapforecast.model.distributions import Bootstrap, DistBase, TrackRecord
from leapforecast.model.files import (
    Source,
    _relative_ref,
)
from leapforecast.model.inputs import correlation_problems, scenario_inputs, segment_bases
from leapforecast.model.reference import fit_for_scenario
from leapforecast.model.spec import ScenarioSpec


def _resolve_bootstraps(
    doc: dict[str, Any],
    spec: ScenarioSpec,
    history: History,
    problems: list[tuple[list[str], str]],
    sources: list[Source] | None = None,
) -> ScenarioSpec:
    """Fill every bootstrap distribution with the growth rates it resamples, and every
    track_record with the base and hit ratios it needs. Peer growth and target outcomes are
    cut at the base year, so a scenario (or a backtest origin) uses only what was known then."""

    base_year = spec.history.base_year or history.base_year

    def fill_track_record(dist: TrackRecord, path: list[str]) -> Any:

        try:
            base_units = spec.history.base_units or history.units_at(base_year)
        except HistoryError:
            return dist  # the missing base year is reported by semantic_problems
        year = dist.year or base_year + 1
        if year <= base_year:
            problems.append(
                (path + ["year"], f"target year {year} must be after the base year {base_year}")
            )
            return dist
        ratios = list(dist.ratios or [])
        if not ratios:
            try:
                ratios = hit_ratios(
                    load_targets(_relative_ref(dist.source, path + ["source"], sources or [])),
                    upto=base_year,
                )
            except HistoryError as exc:
                problems.append((path + ["source"], str(exc)))
                return dist
            if not ratios:
                problems.append(
                    (
                        path + ["source"],
                        f"track record {dist.source} has no closed year on or before {base_year}",
                    )
                )
                return dist
        return dist.with_values(base_units, year - base_year, ratios)

    def fill_peers(dist: Bootstrap, path: list[str]) -> Any:

        try:
            intervals = peer_intervals(
                min_units=dist.min_units or 0.0, max_units=dist.max_units, upto=base_year
            )
        except HistoryError as exc:
            problems.append((path, str(exc)))
            return dist
        values = [
            iv.growth
            for iv in intervals
            if (dist.from_year is None or iv.to_year >= dist.from_year)
            and (dist.to_year is None or iv.to_year <= dist.to_year)
        ]
        if not values:
            problems.append(
                (
                    path,
                    "bootstrap from peers has no growth intervals in that window "
                    f"up to {base_year}",
                )
            )
            return dist
        return dist.with_values(values)

    def fill(dist: Any, path: list[str]) -> Any:
        if isinstance(dist, TrackRecord):
            return fill_track_record(dist, path)
        if not isinstance(dist, Bootstrap):
            return dist
        if dist.source == "peers":
            return fill_peers(dist, path)
        try:
            src = (
                history
                if dist.source == "history"
                else load_history(_relative_ref(dist.source, path + ["source"], sources or []))
            )
        except HistoryError as exc:
            problems.append((path + ["source"], str(exc)))
            return dist
        values = [
            rate
            for (y0, y1, _), rate in zip(src.intervals(), src.growth_rates(), strict=False)
            if (dist.from_year is None or y1 >= dist.from_year)
            and (dist.to_year is None or y1 <= dist.to_year)
        ]
        if not values:
            problems.append(
                (path, f"bootstrap from {src.source} has no growth intervals in that window")
            )
            return dist
        return dist.with_values(values)

    def walk(model: Any, path: list[str]) -> Any:
        if isinstance(model, DistBase):
            return fill(model, path)
        if isinstance(model, BaseModel):
            updates = {}
            for name in type(model).model_fields:
                value = getattr(model, name)
                new = walk(value, path + [type(model).model_fields[name].alias or name])
                if new is not value:
                    updates[name] = new
            return model.model_copy(update=updates) if updates else model
        if isinstance(model, list):
            new_list = [walk(v, path + [str(i)]) for i, v in enumerate(model)]
            changed = any(a is not b for a, b in zip(new_list, model, strict=True))
            return new_list if changed else model
        if isinstance(model, dict):
            new_dict = {k: walk(v, path + [k]) for k, v in model.items()}
            return new_dict if any(new_dict[k] is not model[k] for k in model) else model
        return model

    spec = walk(spec, [])
    if spec.growth is not None and spec.growth.is_reference:
        spec = _resolve_reference(spec, history, base_year, problems)
    return spec


def _resolve_reference(
    spec: ScenarioSpec,
    history: History,
    base_year: int,
    problems: list[tuple[list[str], str]],
    *,
    extra: tuple[History, ...] = (),
) -> ScenarioSpec:
    """Fit the reference growth model on the peers and the scenario's own history (and
    ``extra`` histories), all cut at the base year (so a backtest origin sees only what was
    known then), and keep the posterior in ``growth.reference.resolved``."""
    growth = spec.growth
    if growth is None:
        return spec
    opts = growth.reference_options
    try:
        fit = fit_for_scenario(
            history,
            base_year,
            makers=opts.makers,
            own_history=opts.own_history,
            min_units=float(opts.min_units),
            recent_weight=opts.recent_weight,
            L0=float(opts.L0),
            prior=opts.prior,
            extra=extra,
        )
    except ValueError as exc:
        text = str(exc)
        key = text.split(":", 1)[0] if text.startswith(("makers:", "L0:", "recent_weight:")) else ""
        problems.append(
            (["growth", "reference"] + ([key] if key else []), text.removeprefix(f"{key}: "))
        )
        return spec
    resolved = (
        float(fit.mean[0]),
        float(fit.mean[1]),
        float(fit.cov_scale[0, 0]),
        float(fit.cov_scale[0, 1]),
        float(fit.cov_scale[1, 1]),
        fit.ig_shape,
        fit.ig_scale,
        float(fit.n_obs),
    )
    opts = opts.model_copy(update={"resolved": resolved})
    return spec.model_copy(update={"growth": growth.model_copy(update={"reference": opts})})


SOBOL_MAX_DIM = 21_201  # scipy.stats.qmc.Sobol's direction numbers stop here


def semantic_problems(spec: ScenarioSpec, history: History) -> list[tuple[list[str], str]]:
    """Checks that need the history or span several keys; (key path, message) pairs."""
    problems: list[tuple[list[str], str]] = []
    base_year = spec.history.base_year or history.base_year
    if base_year not in history.years and spec.history.base_units is None:
        problems.append(
            (
                ["history", "base_year"],
                f"{base_year} is not in history {history.source} "
                f"({history.years[0]}-{history.years[-1]})",
            )
        )
    horizon = spec.simulation.horizon or base_year + 3
    if horizon <= base_year:
        problems.append(
            (
                ["simulation", "horizon"],
                f"horizon {horizon} must be after the base year {base_year}",
            )
        )
        return problems  # every dated check below would only repeat this one
    if horizon - base_year > 50:
        problems.append(
            (
                ["simulation", "horizon"],
                f"horizon {horizon} is {horizon - base_year} years out; at most 50 are supported",
            )
        )
        return problems

    def check_lower(dist: DistBase, path: list[str], floor: float, strict: bool, what: str) -> None:
        lo, _ = dist.bounds()
        if lo < floor or (strict and lo <= floor):
            problems.append((path, f"{what}; this distribution reaches {lo:g}"))

    def check_growth(g: Any, prefix: list[str]) -> None:
        if g is None or g.rate is None:
            return
        check_lower(
            g.rate, prefix + ["growth", "rate"], -1.0, True, "growth must stay above -1 (-100%)"
        )
        check_lower(
            g.volatility,
            prefix + ["growth", "volatility"],
            0.0,
            False,
            "volatility must not be negative",
        )
        if g.fade is not None:
            check_lower(
                g.fade.to,
                prefix + ["growth", "fade", "to"],
                -1.0,
                True,
                "growth must stay above -1 (-100%)",
            )

    check_growth(spec.growth, [])
    if spec.saturation:
        check_lower(
            spec.saturation.ceiling,
            ["saturation", "ceiling"],
            0.0,
            True,
            "a market ceiling must be positive",
        )
    for name, seg in spec.segment.items():
        check_growth(seg.growth, ["segment", name])
        if seg.saturation:
            check_lower(
                seg.saturation.ceiling,
                ["segment", name, "saturation", "ceiling"],
                0.0,
                True,
                "a market ceiling must be positive",
            )
    if spec.segment:
        open_segments = [n for n, s in spec.segment.items() if s.base is None and s.share is None]
        if len(open_segments) > 1:
            problems.append(
                (
                    ["segment", open_segments[1]],
                    "only one segment may omit base/share (it takes the remainder)",
                )
            )
        shares = sum(s.share for s in spec.segment.values() if s.share is not None)
        if shares > 1 + 1e-9:
            problems.append((["segment"], f"segment shares add up to {shares:g}, more than 1"))
    name_counts = collections.Counter(e.name for e in spec.event)  # linear: 100k events
    for i, ev in enumerate(spec.event):
        path = ["event", str(i)]
        if name_counts[ev.name] > 1:
            problems.append((path + ["name"], f"event name '{ev.name}' is used twice"))
        first, last = ev.years
        if last <= base_year or first > horizon:
            problems.append(
                (
                    path + ["year"],
                    f"event year {ev.year} is outside the forecast years {base_year + 1}-{horizon}",
                )
            )
        if ev.kind == "multiply":
            check_lower(
                ev.impact,
                path + ["impact"],
                -1.0,
                False,
                "a multiply impact below -1 would make sales negative",
            )
        if ev.segment is not None and ev.segment not in spec.segment:
            hint = difflib.get_close_matches(ev.segment, list(spec.segment), n=1)
            problems.append(
                (
                    path + ["segment"],
                    f"no segment named '{ev.segment}'"
                    + (
                        f"; did you mean '{hint[0]}'?"
                        if hint
                        else f" (segments: {', '.join(spec.segment) or 'none'})"
                    ),
                )
            )
    if spec.capacity:
        if spec.capacity.units is not None:
            check_lower(
                spec.capacity.units,
                ["capacity", "units"],
                0.0,
                False,
                "capacity must not be negative",
            )
            check_lower(
                spec.capacity.growth,
                ["capacity", "growth"],
                -1.0,
                False,
                "capacity growth must not be below -1",
            )
        sched = spec.capacity.schedule or {}
        for year, dist in sched.items():
            check_lower(
                dist, ["capacity", "schedule", year], 0.0, False, "capacity must not be negative"
            )
        outside = [y for y in sched if y.isdigit() and not base_year < int(y) <= horizon]
        for year in outside:  # a year never simulated is never applied: say so, as for events
            problems.append(
                (
                    ["capacity", "schedule", year],
                    f"schedule year {year} is outside the forecast years "
                    f"{base_year + 1}-{horizon}, so it would never be applied",
                )
            )
        if sched and not outside:
            missing = [y for y in range(base_year + 1, horizon + 1) if str(y) not in sched]
            if missing and min(int(y) for y in sched) > base_year + 1:
                problems.append(
                    (
                        ["capacity", "schedule"],
                        f"schedule must start by the first forecast year {base_year + 1}",
                    )
                )
    named = scenario_inputs(spec)
    drawn = sum(not d.is_fixed for d in named.inputs.values())
    if spec.simulation.sampling == "sobol" and drawn > SOBOL_MAX_DIM:
        problems.append(
            (
                ["simulation", "sampling"],
                f"Sobol sampling supports at most {SOBOL_MAX_DIM:,} uncertain inputs; this "
                f'scenario draws {drawn:,} (use sampling = "lhs" or "random")',
            )
        )
    problems += correlation_problems(spec, named.named)
    seen_pairs: dict[frozenset[str], int] = {}
    for i, corr in enumerate(spec.correlation):  # a repeat silently overrode the first rho
        pair = frozenset(corr.between)
        if pair in seen_pairs:
            problems.append(
                (
                    ["correlation", str(i), "between"],
                    f"the pair {' / '.join(corr.between)} is already correlated by "
                    f"correlation {seen_pairs[pair]}; give each pair once",
                )
            )
        seen_pairs.setdefault(pair, i)
    if spec.segment and not problems:
        total = spec.history.base_units or history.units_at(base_year)
        problems += segment_bases(spec, total)[1]
        problems += _uncovered_share(spec, total)
    return problems


def _uncovered_share(spec: ScenarioSpec, total: float) -> list[tuple[list[str], str]]:
    """Shares that leave part of the base year's total to no segment (0.5, or 0) silently
    forecast a smaller company: refused unless one segment takes the remainder."""
    segs = spec.segment.values()
    if any(s.base is None and s.share is None for s in segs) or all(s.share is None for s in segs):
        return []  # a remainder segment takes the rest; bases alone state the whole
    covered = sum(s.base if s.base is not None else (s.share or 0.0) * total for s in segs)
    if covered >= total * (1 - 1e-6):
        return []
    shares = sum(s.share for s in segs if s.share is not None)
    return [
        (
            ["segment"],
            f"segments cover {covered:,.0f} of the base year's {total:,.0f} units (shares add "
            f"up to {shares:g}); make them add up to 1 or leave one segment without base/share "
            "to take the remainder",
        )
    ]
