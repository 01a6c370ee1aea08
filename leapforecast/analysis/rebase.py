"""Rebase a scenario's growth structure onto another maker at another origin.

The calibration report scores a scenario on every maker of the reference class, not just on the
handful of Leapmotor years: a scenario's *structure* (its growth-rate distribution, volatility,
fade, and a saturation ceiling or capacity relative to the base level) is a claim about how a
maker of that size grows, and other makers' records test that claim. What cannot move is dropped
or scaled, and every such change is listed in ``Rebased.notes`` so the report can say so:

* dated events (purchase-tax changes, launches, tariffs) are Leapmotor's and fall on calendar
  years: dropped, with the correlations that refer to them;
* units (capacity, a capacity schedule, a saturation ceiling, segments' bases, the scale window
  of a peers bootstrap) are scaled by the maker's level at the origin over the scenario's own
  base level, so they keep their ratio to the base; a capacity schedule keeps its offset from
  the base year;
* bootstraps are re-resolved from data known at the origin (a ``history`` bootstrap resamples
  the maker's own growth up to then);
* a reference growth model (``[growth] model = "reference"``) is refitted at the origin on
  every maker's record up to then (the peers, the maker and the scenario's own maker);
* a ``track_record`` rate (management's target discounted by its record) is Leapmotor's alone:
  such a scenario cannot be rebased onto another maker (an error says so).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from leapforecast.data.history import History
from leapforecast.errors import ScenarioError
from leapforecast.model.checks import _resolve_bootstraps, _resolve_reference
from leapforecast.model.distributions import (
    Beta,
    Bootstrap,
    Choice,
    DistBase,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    TrackRecord,
    Triangular,
    Uniform,
)
from leapforecast.model.scenario import Scenario, mixture_of

__all__ = ["Rebased", "rebase_scenario", "scale_dist"]


@dataclass(frozen=True)
class Rebased:
    """The rebased scenario, its scale factor and what was dropped or scaled (for the report)."""

    scenario: Scenario
    scale: float
    notes: tuple[str, ...]


def scale_dist(dist: DistBase, factor: float) -> DistBase:
    """A distribution of units multiplied by ``factor`` (so its quantiles scale with it)."""
    if isinstance(dist, Fixed):
        return dist.model_copy(update={"value": dist.value * factor})
    if isinstance(dist, Normal):
        return dist.model_copy(update={"mean": dist.mean_ * factor, "sd": dist.sd * factor})
    if isinstance(dist, Uniform):
        return dist.model_copy(update={"low": dist.low * factor, "high": dist.high * factor})
    if isinstance(dist, Triangular | Pert):
        return dist.model_copy(
            update={
                "low": dist.low * factor,
                "mode": dist.mode * factor,
                "high": dist.high * factor,
            }
        )
    if isinstance(dist, Choice):
        return dist.model_copy(update={"values": [v * factor for v in dist.values]})
    if isinstance(dist, LogNormal | Beta):
        raise ScenarioError(
            f"cannot rescale a {type(dist).__name__} distribution of units to another maker; "
            "give it as uniform, triangular, pert, normal or choice"
        )
    return dist


def _has_track_record(model: object) -> bool:
    if isinstance(model, TrackRecord):
        return True
    if isinstance(model, BaseModel) and not isinstance(model, DistBase):
        return any(_has_track_record(getattr(model, n)) for n in type(model).model_fields)
    if isinstance(model, list | tuple):
        return any(_has_track_record(v) for v in model)
    if isinstance(model, dict):
        return any(_has_track_record(v) for v in model.values())
    return False


# rebase_scenario's track-record check by spec: the backtest rebases one scenario onto every
# maker and origin, and walking its spec each time was a tenth of `leapforecast backtest`.
# Keyed by id with the spec held, so an id is never reused while its entry lives.
_TRACK_RECORD_MEMO: dict[int, tuple[Any, bool]] = {}
_TRACK_RECORD_MEMO_SIZE = 64


def _spec_has_track_record(spec: Any) -> bool:
    hit = _TRACK_RECORD_MEMO.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    found = _has_track_record(spec)
    if len(_TRACK_RECORD_MEMO) >= _TRACK_RECORD_MEMO_SIZE:
        _TRACK_RECORD_MEMO.clear()
    _TRACK_RECORD_MEMO[id(spec)] = (spec, found)
    return found


def _scale_bootstraps(model: Any, factor: float, notes: list[str]) -> Any:
    """Peers bootstraps keep their scale window relative to the base level."""
    if isinstance(model, Bootstrap):
        if model.source != "peers" or (model.min_units is None and model.max_units is None):
            return model
        upd = {
            k: getattr(model, k) * factor
            for k in ("min_units", "max_units")
            if getattr(model, k) is not None
        }
        notes.append("peers bootstrap scale window scaled")
        return model.model_copy(update=upd)
    if isinstance(model, BaseModel) and not isinstance(model, DistBase):
        updates = {}
        for name in type(model).model_fields:
            value = getattr(model, name)
            new = _scale_bootstraps(value, factor, notes)
            if new is not value:
                updates[name] = new
        return model.model_copy(update=updates) if updates else model
    if isinstance(model, dict):
        out = {k: _scale_bootstraps(v, factor, notes) for k, v in model.items()}
        return out if any(out[k] is not model[k] for k in model) else model
    return model


def _has_peers_window(model: object) -> bool:
    if isinstance(model, Bootstrap):
        return model.source == "peers" and model.min_units is not None
    if isinstance(model, BaseModel) and not isinstance(model, DistBase):
        return any(_has_peers_window(getattr(model, n)) for n in type(model).model_fields)
    if isinstance(model, dict):
        return any(_has_peers_window(v) for v in model.values())
    return False


def rebase_scenario(
    scenario: Scenario,
    history: History,
    origin: int,
    *,
    horizon: int,
    paths: int,
) -> Rebased:
    """``scenario`` as it would have run for the maker of ``history`` from ``origin``.

    ``history`` is cut at ``origin`` (which must be one of its years). Every maker, the
    scenario's own included, is treated alike: units are scaled to the maker's level at the
    origin and every dated event is dropped (see the module docstring), so a scenario is scored
    on its structure, not on what its author knew about particular years. Raises
    ``ScenarioError`` when the result is not a valid scenario (e.g. a peers bootstrap with
    nothing in its window at that origin, even widened).
    """
    if scenario.mixture is not None:
        return _rebase_mixture(scenario, history, origin, horizon=horizon, paths=paths)
    hist = history.upto(origin)
    if hist.years[-1] != origin:
        raise ScenarioError(f"history {hist.source} has no year {origin}")
    spec = scenario.spec
    factor = hist.units_at(origin) / scenario.base_units
    notes: list[str] = []
    shift = origin - scenario.base_year
    events = list(spec.event)
    correlations = list(spec.correlation)
    kept: list[Any] = []
    if len(kept) < len(events):
        notes.append(f"{len(events) - len(kept)} dated event(s) dropped")
        gone = {e.name for e in events} - {e.name for e in kept}
        correlations = [
            c
            for c in correlations
            if not any(b.startswith("event.") and b.split(".")[1] in gone for b in c.between)
        ]
    update: dict[str, Any] = {
        "history": spec.history.model_copy(update={"base_year": origin, "base_units": None}),
        "simulation": spec.simulation.model_copy(
            update={"horizon": origin + horizon, "paths": paths}
        ),
        "event": kept,
        "correlation": correlations,
    }
    if _spec_has_track_record(spec):
        raise ScenarioError(
            f"scenario {scenario.name}: a track_record rate is Leapmotor's target record and "
            "cannot be rebased onto another maker; backtest it with --series Leapmotor"
        )
    if spec.capacity is not None:
        cap = spec.capacity
        if cap.units is not None:
            update["capacity"] = cap.model_copy(update={"units": scale_dist(cap.units, factor)})
            notes.append("capacity scaled to the maker's level")
        else:
            schedule = {
                str(int(k) + shift): scale_dist(v, factor) for k, v in (cap.schedule or {}).items()
            }
            update["capacity"] = cap.model_copy(update={"schedule": schedule})
            renamed = {
                f"capacity.schedule.{k}": f"capacity.schedule.{int(k) + shift}"
                for k in cap.schedule or {}
            }
            correlations = [
                c.model_copy(update={"between": [renamed.get(b, b) for b in c.between]})
                for c in correlations
            ]
            update["correlation"] = correlations
            notes.append("capacity schedule scaled and shifted to the origin")
    if spec.saturation is not None:
        update["saturation"] = spec.saturation.model_copy(
            update={"ceiling": scale_dist(spec.saturation.ceiling, factor)}
        )
        notes.append("saturation ceiling scaled")
    if spec.segment:
        segs = {}
        for name, seg in spec.segment.items():
            upd: dict[str, Any] = {}
            if seg.base is not None:
                upd["base"] = seg.base * factor
            if seg.saturation is not None:
                upd["saturation"] = seg.saturation.model_copy(
                    update={"ceiling": scale_dist(seg.saturation.ceiling, factor)}
                )
            segs[name] = seg.model_copy(update=upd) if upd else seg
        update["segment"] = segs
        if any(s.base is not None for s in spec.segment.values()):
            notes.append("segment bases scaled")
    update["growth"] = _scale_bootstraps(spec.growth, factor, notes)
    update["segment"] = _scale_bootstraps(update.get("segment", spec.segment), factor, notes)
    spec = spec.model_copy(update=update)
    problems: list[tuple[list[str], str]] = []
    resolved = _resolve_bootstraps({}, spec, hist, problems)
    widen = 1.0
    while problems and widen > 1 / 64 and _has_peers_window(spec):
        # at early origins few makers had reached the scaled window: widen it downwards, as
        # the peers method does, rather than lose the case
        widen /= 2
        problems = []
        wider = spec.model_copy(
            update={
                "growth": _scale_bootstraps(spec.growth, widen, []),
                "segment": _scale_bootstraps(spec.segment, widen, []),
            }
        )
        resolved = _resolve_bootstraps({}, wider, hist, problems)
        if not problems:
            notes.append("peers bootstrap window widened where it was empty")
    spec = resolved
    if spec.growth is not None and spec.growth.is_reference and not problems:
        # refit at the origin on every maker's record up to then: the peers, the maker rebased
        # onto and the scenario's own maker (each once)
        spec = _resolve_reference(
            spec,
            hist,
            origin,
            problems,
            extra=(scenario.history.upto(origin),) if scenario.history.years[0] <= origin else (),
        )
        notes.append("reference growth refitted on all makers' data up to the origin")
    if problems:
        raise ScenarioError(
            [f"rebased from {origin}: {'.'.join(p)}: {m}" for p, m in problems], file=scenario.path
        )
    return Rebased(
        dataclasses.replace(scenario, history=hist, spec=spec),
        factor,
        tuple(dict.fromkeys(notes)),
    )


def _rebase_mixture(
    scenario: Scenario, history: History, origin: int, *, horizon: int, paths: int
) -> Rebased:
    """A mixture rebased component by component (same weights); notes name the component."""
    mixture = scenario.mixture
    if mixture is None:  # pragma: no cover - the caller checks
        raise ScenarioError(f"scenario {scenario.name} is not a mixture")
    parts = [
        rebase_scenario(c.scenario, history, origin, horizon=horizon, paths=paths)
        for c in mixture.components
    ]
    notes = [
        f"{c.name}: {n}"
        for c, part in zip(mixture.components, parts, strict=True)
        for n in part.notes
    ]
    rebased = mixture_of(scenario, [p.scenario for p in parts], mixture.weights)
    return Rebased(rebased, parts[0].scale, tuple(dict.fromkeys(notes)))
