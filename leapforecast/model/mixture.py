"""Mixture scenarios: a weighted blend of whole scenarios ("25% bear, 50% base, 25% bull").

A mixture file has ``[scenario]``, optionally ``[simulation]``, and a ``[mixture]`` table::

    [mixture]
    components = [{ scenario = "bear.toml", weight = 0.25 },
                  { scenario = "builtin:base", weight = 0.5 },
                  { scenario = "bull.toml", weight = 0.25 }]
    # or: weights = "equal" and components = [{ scenario = "bear.toml" }, ...] without weights

Why a mixture rather than one wider scenario: the bundled scenarios disagree (issue 14), and
the honest answer when one does not know which story is true is the weighted blend of their
predictive distributions; with year-to-date actuals the weights themselves are updated
(``analysis.mixture``), which says which story reality is tracking.

Rules (checked here, each a one-line error naming the file):

* component paths are relative to the mixture file (``builtin:NAME`` or a bare bundled name
  also work); a component may not itself be a mixture, nor appear twice;
* the mixture's ``[simulation]`` (paths, seed, sampling, targets and, when given, horizon)
  applies to every component: components' own ``[simulation]`` settings are ignored;
* components must share the history, base year and forecast years;
* weights must be positive and finite; weights that do not sum to 1 are normalised, and the
  output says so (``Mixture.given_sum``).

This module holds the pure parts (the file format and the assembled ``Mixture``); loading the
component files is ``model.scenario``'s job (it imports this module, not the other way round).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from leapforecast.model.spec import Model, ScenarioInfo, SimulationSpec

MIXTURE_KEYS = ("scenario", "simulation", "mixture")


class ComponentSpec(Model):
    """One component: a scenario file (or bundled name) and its weight."""

    scenario: str = Field(
        min_length=1,
        description='a scenario file relative to this one, "builtin:NAME" or a bundled name',
    )
    weight: float | None = Field(
        default=None, description='prior weight (> 0); omit with weights = "equal"'
    )

    @model_validator(mode="before")
    @classmethod
    def _int_weight(cls, data: Any) -> Any:
        # strict models refuse an int for a float; weight = 1 is natural to write
        if isinstance(data, dict) and type(data.get("weight")) is int:
            data = {**data, "weight": float(data["weight"])}
        return data


class MixtureSpec(Model):
    """The ``[mixture]`` table."""

    components: list[ComponentSpec] = Field(min_length=2, max_length=20)
    weights: Literal["equal"] | None = Field(
        default=None, description='"equal": every component gets the same weight'
    )

    @model_validator(mode="after")
    def _check_weights(self) -> MixtureSpec:
        given = [c.weight for c in self.components]
        if self.weights == "equal":
            if any(w is not None for w in given):
                raise ValueError(
                    'weights = "equal" and per-component weights exclude each other; '
                    "drop one of them"
                )
            return self
        if any(w is None for w in given):
            missing = [c.scenario for c in self.components if c.weight is None]
            raise ValueError(
                f"component {missing[0]} has no weight; give every component a weight or "
                'set weights = "equal"'
            )
        for c in self.components:
            w = c.weight
            if w is None or not math.isfinite(w) or w <= 0:
                raise ValueError(
                    f"component {c.scenario}: weight must be a positive number, got {w}"
                )
        return self


class MixtureDoc(Model):
    """A whole mixture file (no model tables: the model comes from the components)."""

    scenario: ScenarioInfo = Field(default_factory=ScenarioInfo)
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    mixture: MixtureSpec


@dataclass(frozen=True)
class Component:
    """A loaded component: its reference as written, its normalised weight, its ``Scenario``."""

    ref: str
    weight: float
    scenario: Any  # model.scenario.Scenario (this module may not import it)

    @property
    def name(self) -> str:
        return str(self.scenario.name)

    @property
    def file(self) -> str | None:
        """The component's file as shown to the user (relative to the working directory)."""
        sources = self.scenario.sources
        if sources:
            return str(sources[0].label)
        path = self.scenario.path
        return None if path is None else str(path)


@dataclass(frozen=True)
class Mixture:
    """The components of a mixture scenario, weights normalised to sum to one.

    ``given_sum`` is the sum of the weights as written (None for ``weights = "equal"``), so the
    output can say when they were normalised.
    """

    components: tuple[Component, ...]
    given_sum: float | None = None

    @property
    def weights(self) -> list[float]:
        return [c.weight for c in self.components]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.components]

    @property
    def normalised(self) -> bool:
        return self.given_sum is not None and abs(self.given_sum - 1.0) > 1e-9

    def note(self) -> str | None:
        """What to tell the user about the weights, if anything."""
        if not self.normalised:
            return None
        return f"mixture weights summed to {self.given_sum:g}; normalised to sum to 1"

    def reweighted(self, weights: list[float]) -> Mixture:
        """The same components with other weights (e.g. posterior ones), normalised."""
        if len(weights) != len(self.components):
            raise ValueError("one weight per component")
        total = float(sum(weights))
        if not math.isfinite(total) or total <= 0 or any(w < 0 for w in weights):
            raise ValueError(f"weights must be non-negative with a positive sum, got {weights}")
        return Mixture(
            tuple(
                Component(c.ref, float(w) / total, c.scenario)
                for c, w in zip(self.components, weights, strict=True)
            ),
            None,
        )

    def with_scenarios(self, scenarios: list[Any]) -> Mixture:
        """The same weights over new component scenarios (overridden, rebased)."""
        return Mixture(
            tuple(
                Component(c.ref, c.weight, s)
                for c, s in zip(self.components, scenarios, strict=True)
            ),
            self.given_sum,
        )

    def document(self) -> dict[str, Any]:
        """What the mixture's hash covers: each component's reference, weight and hash."""
        return {
            "components": [
                {
                    "scenario": c.ref,
                    "name": c.name,
                    "weight": c.weight,
                    "sha256": c.scenario.sha256,
                }
                for c in self.components
            ]
        }


def normalised_weights(spec: MixtureSpec) -> tuple[list[float], float | None]:
    """(weights summing to one, the sum as given or None for ``weights = "equal"``)."""
    if spec.weights == "equal":
        n = len(spec.components)
        return [1.0 / n] * n, None
    given = [float(c.weight or 0.0) for c in spec.components]
    total = sum(given)
    return [w / total for w in given], total


def shared_problems(components: list[tuple[str, Any]]) -> list[str]:
    """Components must start from the same history and forecast the same years: one line per
    component that does not match the first, naming both files."""
    problems = []
    first_label, first = components[0]
    for label, sc in components[1:]:
        if sc.history.source != first.history.source:
            problems.append(
                f"mixture components must share their history: {label} uses "
                f"{sc.history.source}, {first_label} uses {first.history.source}"
            )
        elif sc.base_year != first.base_year or sc.base_units != first.base_units:
            problems.append(
                f"mixture components must share the base year: {label} starts from "
                f"{sc.base_year} ({sc.base_units:,.0f}), {first_label} from {first.base_year} "
                f"({first.base_units:,.0f})"
            )
        elif sc.years != first.years:
            problems.append(
                f"mixture components must forecast the same years: {label} forecasts "
                f"{sc.years[0]}-{sc.years[-1]}, {first_label} {first.years[0]}-{first.years[-1]}; "
                "set [simulation] horizon in the mixture file"
            )
    return problems


__all__ = [
    "MIXTURE_KEYS",
    "Component",
    "ComponentSpec",
    "Mixture",
    "MixtureDoc",
    "MixtureSpec",
    "normalised_weights",
    "shared_problems",
]
