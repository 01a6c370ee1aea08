"""Distribution specs as written in scenario files, each drawing through ``ppf(u)``.

Drawing every path-level input as ``ppf(u)`` lets random, Latin hypercube and Sobol designs and
the rank-correlation copula share one code path: only the uniforms ``u`` change.
The normal quantile comes from ``model.special`` (NumPy only), so a run never pays for importing
SciPy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from leapforecast.model._beta import _betaincinv
from leapforecast.model.special import ndtri
from leapforecast.units import parse_units

Z95 = 1.6448536269514722  # standard normal 95th percentile
U_MIN = 1e-12  # designs clip uniforms to [U_MIN, 1 - U_MIN] (sampling.py)
LOG_REACH = 700.0  # a lognormal's log-scale reach: exp(709) is the largest float
Z_MAX = 7.034483825301131  # -ndtri(U_MIN): the most extreme normal quantile a run can draw

STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True, defer_build=True)


def _ndtri(u: np.ndarray) -> np.ndarray:
    return ndtri(u)


class DistBase(BaseModel):
    model_config = STRICT

    def ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def is_fixed(self) -> bool:
        return False

    def mean(self) -> float:
        """Mean, by quadrature on the quantile function when there is no simple formula."""
        u = (np.arange(20_000) + 0.5) / 20_000
        return float(np.mean(self.ppf(u)))

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value a run can draw (unbounded distributions are cut where the
        design clips its uniforms, at ``U_MIN`` from 0 and 1)."""
        lo, hi = self.ppf(np.array([0.0, 1.0]))
        return float(lo), float(hi)


class Fixed(DistBase):
    """A known value (a bare number in the file)."""

    dist: Literal["fixed"] = "fixed"
    value: float

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"dist": "fixed", "value": data}
        return data

    @property
    def is_fixed(self) -> bool:
        return True

    def bounds(self) -> tuple[float, float]:
        return self.value, self.value

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)

    def mean(self) -> float:
        return self.value


class Normal(DistBase):
    """normal(mean, sd); unbounded, so use it for rates, not unit counts."""

    dist: Literal["normal"]
    mean_: float = Field(alias="mean")
    sd: float = Field(ge=0)

    def bounds(self) -> tuple[float, float]:
        # the range a run can actually draw (uniforms are clipped to [U_MIN, 1 - U_MIN])
        return self.mean_ - Z_MAX * self.sd, self.mean_ + Z_MAX * self.sd

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mean_ + self.sd * _ndtri(u)

    def mean(self) -> float:
        return self.mean_


class LogNormal(DistBase):
    """Positive and right-skewed: give a 90% interval (p5, p95) or the log-scale mu and sigma."""

    dist: Literal["lognormal"]
    p5: float | None = Field(default=None, gt=0)
    p95: float | None = Field(default=None, gt=0)
    mu: float | None = None
    sigma: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> LogNormal:
        by_interval = self.p5 is not None or self.p95 is not None
        by_params = self.mu is not None or self.sigma is not None
        if by_interval == by_params:
            raise ValueError("lognormal needs either p5 and p95, or mu and sigma (not both)")
        if by_interval and (self.p5 is None or self.p95 is None):
            raise ValueError("lognormal by interval needs both p5 and p95")
        if by_params and (self.mu is None or self.sigma is None):
            raise ValueError("lognormal by parameters needs both mu and sigma")
        if self.p5 is not None and self.p95 is not None and self.p5 >= self.p95:
            raise ValueError(f"p5 ({self.p5:g}) must be below p95 ({self.p95:g})")
        mu, sigma = self.params()
        reach = max(abs(mu) + Z_MAX * sigma, mu + sigma * sigma / 2)  # draws and the mean
        if not reach <= LOG_REACH:  # exp() of more overflows a float (exp(709) ~ 1e308)
            raise ValueError(
                f"mu {mu:g} and sigma {sigma:g} reach exp({reach:.3g}), beyond the float range; "
                f"keep |mu| + {Z_MAX:.2f}*sigma and mu + sigma^2/2 at most {LOG_REACH:g}"
            )
        return self

    def params(self) -> tuple[float, float]:
        if self.mu is not None and self.sigma is not None:
            return self.mu, self.sigma
        if self.p5 is None or self.p95 is None:  # pragma: no cover - the validator forbids it
            raise ValueError("lognormal needs either p5 and p95, or mu and sigma")
        lo, hi = math.log(self.p5), math.log(self.p95)
        return (lo + hi) / 2, (hi - lo) / (2 * Z95)

    def bounds(self) -> tuple[float, float]:
        # never 0 or infinite: the range a run can actually draw
        mu, sigma = self.params()
        return math.exp(mu - Z_MAX * sigma), math.exp(mu + Z_MAX * sigma)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        mu, sigma = self.params()
        return np.exp(mu + sigma * _ndtri(u))

    def mean(self) -> float:
        mu, sigma = self.params()
        return math.exp(mu + sigma * sigma / 2)


def _check_order(low: float, mode: float | None, high: float) -> None:
    if low > high:
        raise ValueError(f"low ({low:g}) must not exceed high ({high:g})")
    if mode is not None and not low <= mode <= high:
        raise ValueError(f"mode ({mode:g}) must lie between low ({low:g}) and high ({high:g})")


class Uniform(DistBase):
    """Every value between low and high equally likely."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        _check_order(self.low, None, self.high)
        return self

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    def mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(DistBase):
    """low / most likely / high, straight lines between."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        _check_order(self.low, self.mode, self.high)
        return self

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        a, c, b = self.low, self.mode, self.high
        if b == a:
            return np.full(u.shape, a)
        fc = (c - a) / (b - a)
        # Each side's formula with u clamped to its side of the mode: left of it the right-hand
        # term is 0, right of it the left-hand one is c, so their sum is the quantile. Unlike
        # np.where, min/max do not branch on every path (random masks mispredict half the time).
        x = np.minimum(u, fc)
        x *= (b - a) * (c - a)
        np.sqrt(x, out=x)
        x += a
        right = np.maximum(u, fc)
        np.subtract(1.0, right, out=right)
        right *= (b - a) * (b - c)
        np.sqrt(right, out=right)
        np.subtract(b - c, right, out=right)
        x += right
        return x

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Pert(DistBase):
    """PERT: a smooth beta on [low, high] peaking at mode; ``lamb`` (default 4) sets how peaked."""

    dist: Literal["pert"]
    low: float
    mode: float
    high: float
    lamb: float = Field(default=4.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Pert:
        _check_order(self.low, self.mode, self.high)
        return self

    def shape(self) -> tuple[float, float]:
        width = self.high - self.low
        return (
            1 + self.lamb * (self.mode - self.low) / width,
            1 + self.lamb * (self.high - self.mode) / width,
        )

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.high == self.low:
            return np.full(u.shape, self.low)
        a, b = self.shape()
        return self.low + (self.high - self.low) * _betaincinv(a, b, u)

    def mean(self) -> float:
        return (self.low + self.lamb * self.mode + self.high) / (self.lamb + 2)


class Beta(DistBase):
    """beta(alpha, beta) stretched onto [low, high] (default [0, 1])."""

    dist: Literal["beta"]
    alpha: float = Field(gt=0)
    beta: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _check(self) -> Beta:
        _check_order(self.low, None, self.high)
        return self

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * _betaincinv(
            self.alpha, self.beta, np.asarray(u, float)
        )

    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.alpha / (self.alpha + self.beta)


class Choice(DistBase):
    """One of a few values, with optional weights (default equal)."""

    dist: Literal["choice"]
    values: list[float] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _check(self) -> Choice:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights has {len(self.weights)} entries but values has {len(self.values)}"
                )
            if not all(math.isfinite(w) for w in self.weights):
                raise ValueError("weights must be finite numbers")
            if max(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _normalised(self) -> np.ndarray:
        """Weights summing to 1; scaled by the largest first so that [1e308, 1e308] cannot
        overflow to inf (which once sent every path to the last value)."""
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        w = w / w.max()
        return w / w.sum()

    def _cum(self) -> np.ndarray:
        return np.cumsum(self._normalised())

    def bounds(self) -> tuple[float, float]:
        return min(self.values), max(self.values)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._cum(), np.asarray(u, float), side="right")
        return np.asarray(self.values, float)[np.minimum(idx, len(self.values) - 1)]

    def mean(self) -> float:
        return float(np.dot(self._normalised(), self.values))


def _units_value(value: Any) -> Any:
    """Accept unit counts written as 300_000, "300k" or "1M" (checked by the field itself)."""
    if isinstance(value, str):
        try:
            return float(parse_units(value))
        except Exception as exc:  # noqa: BLE001 - reported by pydantic with the key path
            raise ValueError(str(exc)) from None
    return value


UnitsValue = Annotated[float, BeforeValidator(_units_value)]


class Bootstrap(DistBase):
    """Resample observed annual growth rates (the outside view).

    ``source = "history"`` uses the scenario's own history; a ``builtin:`` name or CSV path uses
    another one; ``"peers"`` the bundled reference class of EV makers, keeping the years that
    started at ``min_units`` a year or more (and below ``max_units``, if given) and, so the
    scenario uses only what was known then, ended by its base year.
    ``from_year``/``to_year`` keep only intervals ending within that window.
    The values are filled in when the scenario is compiled (``resolved``).
    """

    dist: Literal["bootstrap"]
    source: str = "history"
    from_year: int | None = None
    to_year: int | None = None
    min_units: UnitsValue | None = Field(default=None, ge=0)
    max_units: UnitsValue | None = Field(default=None, gt=0)
    resolved: tuple[float, ...] | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check_window(self) -> Bootstrap:
        if (self.min_units is not None or self.max_units is not None) and self.source != "peers":
            raise ValueError('min_units and max_units apply only to source = "peers"')
        if self.max_units is not None and self.max_units <= (self.min_units or 0):
            raise ValueError(
                f"max_units ({self.max_units:g}) must be above min_units ({self.min_units or 0:g})"
            )
        return self

    def with_values(self, values: list[float]) -> Bootstrap:
        return self.model_copy(update={"resolved": tuple(values)})

    def bounds(self) -> tuple[float, float]:
        data = self.resolved or (math.nan,)
        return min(data), max(data)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if not self.resolved:
            raise RuntimeError("bootstrap distribution used before its history was resolved")
        data = np.sort(np.asarray(self.resolved, float))
        idx = np.floor(np.asarray(u, float) * len(data)).astype(np.int64)
        return data[np.clip(idx, 0, len(data) - 1)]

    def mean(self) -> float:
        return float(np.mean(self.resolved)) if self.resolved else float("nan")


class TrackRecord(DistBase):
    """Growth implied by management's target, discounted by how past targets were hit.

    The trend rate is ``(target * r / base) ** (1 / years) - 1``: ``r`` (actual / target) comes
    from the track record, ``base`` is the scenario's base-year units and ``years`` runs from the
    base year to ``year`` (default: the first forecast year). ``r`` takes the values in ``ratios``
    or else every closed year of ``source`` up to the base year; ``spread = "resample"`` draws one
    of them, ``"range"`` any value between the lowest and the highest. Filled in when the scenario
    is compiled (``resolved``).
    """

    dist: Literal["track_record"]
    target: UnitsValue = Field(gt=0)
    year: int | None = Field(default=None, ge=1900, le=2200)
    ratios: list[Annotated[float, Field(gt=0)]] | None = Field(default=None, min_length=1)
    source: str = "builtin:leapmotor"
    spread: Literal["resample", "range"] = "resample"
    resolved: tuple[float, ...] | None = Field(default=None, exclude=True)  # (base, years, *ratios)

    def with_values(self, base: float, years: int, ratios: list[float]) -> TrackRecord:
        return self.model_copy(
            update={"resolved": (float(base), float(years), *map(float, ratios))}
        )

    def bounds(self) -> tuple[float, float]:
        if not self.resolved:
            return math.nan, math.nan
        lo, hi = self.ppf(np.array([0.0, 1.0]))
        return float(lo), float(hi)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if not self.resolved:
            raise RuntimeError("track_record distribution used before its record was resolved")
        base, years = self.resolved[0], self.resolved[1]
        ratios = np.sort(np.asarray(self.resolved[2:], float))
        u = np.asarray(u, float)
        if self.spread == "range":
            r = ratios[0] + (ratios[-1] - ratios[0]) * u
        else:
            r = ratios[np.clip(np.floor(u * len(ratios)).astype(np.int64), 0, len(ratios) - 1)]
        return (self.target * r / base) ** (1.0 / years) - 1.0

    def mean(self) -> float:
        return super().mean() if self.resolved else float("nan")


DIST_CLASSES: dict[str, type[DistBase]] = {
    "fixed": Fixed,
    "normal": Normal,
    "lognormal": LogNormal,
    "uniform": Uniform,
    "triangular": Triangular,
    "pert": Pert,
    "beta": Beta,
    "choice": Choice,
    "bootstrap": Bootstrap,
    "track_record": TrackRecord,
}


def _dist_tag(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "fixed"
    if isinstance(value, dict):
        return value.get("dist") if isinstance(value.get("dist"), str) else None
    if isinstance(value, DistBase):
        return value.dist  # type: ignore[attr-defined]
    return None


if TYPE_CHECKING:  # the same union, spelled out for type checkers
    Dist: TypeAlias = (
        Fixed | Normal | LogNormal | Uniform | Triangular | Pert | Beta | Choice | Bootstrap
    ) | TrackRecord
else:
    Dist = Annotated[
        Union[tuple(Annotated[cls, Tag(name)] for name, cls in DIST_CLASSES.items())],  # noqa: UP007
        Discriminator(_dist_tag),
    ]
"""A distribution spec: a bare number or a table with ``dist = "<name>"``."""


def fixed(value: float) -> Fixed:
    return Fixed(value=value)


def describe(dist: DistBase) -> str:
    """Short human label, e.g. ``pert(0.15, 0.45, 0.75)``."""
    if isinstance(dist, Fixed):
        return f"{dist.value:g}"
    fields = dist.model_dump(exclude={"dist", "resolved"}, exclude_none=True, by_alias=True)
    inner = ", ".join(
        f"{k}={v:g}" if isinstance(v, float | int) else f"{k}={v}" for k, v in fields.items()
    )
    return f"{dist.dist}({inner})"  # type: ignore[attr-defined]
