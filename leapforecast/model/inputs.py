"""leapforecast.model.inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from leapforecast.errors import ScenarioError
from leapforecast.model.distributions import DistBase
from leapforecast.model.spec import ScenarioSpec


def spearman_to_pearson(rho: np.ndarray) -> np.ndarray:
    """Pearson correlation of the Gaussian copula that gives Spearman ``rho`` on the margins."""
    return 2.0 * np.sin(np.pi * rho / 6.0)


def copula_factor(
    names: list[str], pairs: list[tuple[str, str, float]]
) -> tuple[list[int], np.ndarray] | None:
    """Indices of the correlated inputs and a factor A with A @ A.T = the copula's correlation.

    Raises ``ScenarioError`` when the requested matrix is not positive semi-definite.
    """
    if not pairs:
        return None
    involved = sorted({a for a, _, _ in pairs} | {b for _, b, _ in pairs}, key=names.index)
    pos = {name: i for i, name in enumerate(involved)}
    rank = np.eye(len(involved))
    for a, b, rho in pairs:
        rank[pos[a], pos[b]] = rank[pos[b], pos[a]] = rho
    values = np.linalg.eigvalsh(rank)
    if values.min() < -1e-10:
        raise ScenarioError(
            f"correlation: the rank-correlation matrix of {', '.join(involved)} is not positive "
            f"semi-definite (smallest eigenvalue {values.min():.3f}); "
            "these correlations cannot all "
            "hold at once, weaken one of them"
        )
    pearson = spearman_to_pearson(rank)
    w, v = np.linalg.eigh(pearson)
    factor = v * np.sqrt(np.clip(w, 0, None))
    # rows of the factor must have unit norm so every margin stays standard normal
    factor /= np.linalg.norm(factor, axis=1, keepdims=True)
    return [names.index(n) for n in involved], factor


def input_names(spec: ScenarioSpec) -> dict[str, DistBase]:
    """Every uncertain path-level input by its key path (what correlations may name)."""
    names: dict[str, DistBase] = {}

    def growth(prefix: str, g: Any) -> None:
        if g is None:
            return
        names[f"{prefix}growth.rate"] = g.rate
        names[f"{prefix}growth.volatility"] = g.volatility
        if g.fade is not None:
            names[f"{prefix}growth.fade.to"] = g.fade.to

    growth("", spec.growth)
    if spec.saturation is not None:
        names["saturation.ceiling"] = spec.saturation.ceiling
    for seg_name, seg in spec.segment.items():
        growth(f"segment.{seg_name}.", seg.growth)
        if seg.saturation is not None:
            names[f"segment.{seg_name}.saturation.ceiling"] = seg.saturation.ceiling
    for ev in spec.event:
        names[f"event.{ev.name}.impact"] = ev.impact
    if spec.capacity is not None:
        if spec.capacity.units is not None:
            names["capacity.units"] = spec.capacity.units
            names["capacity.growth"] = spec.capacity.growth
        for year, dist in (spec.capacity.schedule or {}).items():
            names[f"capacity.schedule.{year}"] = dist
    return {k: v for k, v in names.items() if not v.is_fixed}
