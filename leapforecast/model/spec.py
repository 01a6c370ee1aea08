"""The scenario format: pydantic models that validate a parsed TOML document.

Types are strict (a string is not a number) and unknown keys are errors, so a typo never
silently falls back to a default. ``scenario.py`` turns validation errors into one-line messages.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from leapforecast.data.history import DEFAULT_SOURCE
from leapforecast.model.distributions import Dist, Fixed
from leapforecast.units import parse_units

CFG = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True, defer_build=True)
MAX_PATHS = 50_000_000
YEAR = Annotated[int, Field(ge=1900, le=2200)]


def _units(value: Any) -> Any:
    """Units as written: "500k"/"1M" strings, and TOML floats such as ``1e6`` when they are
    whole (``1.5e6`` is 1,500,000 cars; ``2.5`` cars is refused as not whole)."""
    if isinstance(value, str):
        try:
            return parse_units(value)
        except Exception as exc:  # noqa: BLE001 - reported by pydantic with the key path
            raise ValueError(str(exc)) from None
    if isinstance(value, float) and math.isfinite(value):
        if not value.is_integer():
            raise ValueError(f"expected whole units a year, got {value:g}")
        return int(value)
    return value


Units = Annotated[int, BeforeValidator(_units), Field(ge=0)]


class Model(BaseModel):
    model_config = CFG


class ScenarioInfo(Model):
    """Who the scenario is and what it claims."""

    name: str = Field(default="unnamed", min_length=1, description="short name shown in results")
    description: str = Field(default="", description="one line: what this scenario claims")
    extends: str | None = Field(
        default=None, description="file this one inherits from (relative) or builtin:NAME"
    )
    as_of: str | None = Field(
        default=None,
        description='date the scenario was written, "YYYY-MM-DD": backtest cases whose target '
        "year it had already seen are flagged in-sample",
    )

    @model_validator(mode="after")
    def _check_as_of(self) -> ScenarioInfo:
        if self.as_of is not None:
            import datetime

            try:
                datetime.date.fromisoformat(self.as_of)
                ok = len(self.as_of) == 10
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"as_of {self.as_of!r} is not a date; expected YYYY-MM-DD")
        return self

    @property
    def seen_through(self) -> int | None:
        """The last calendar year whose full outcome the author could have known (the year
        before ``as_of``), or None when the scenario does not say when it was written."""
        return None if self.as_of is None else int(self.as_of[:4]) - 1


class HistorySpec(Model):
    """Where the base comes from."""

    source: str = Field(
        default=DEFAULT_SOURCE, description="builtin:leapmotor or a CSV path (year,units)"
    )
    base_year: YEAR | None = Field(default=None, description="default: last year of the history")
    base_units: float | None = Field(
        default=None, gt=0, le=1e12, description="override the base year's units"
    )


class SimulationSpec(Model):
    """How many paths, which seed, which design, which targets."""

    horizon: YEAR | None = Field(
        default=None, description="last forecast year; default base_year + 3"
    )
    paths: int = Field(default=100_000, ge=1, le=MAX_PATHS, description="Monte Carlo paths")
    seed: int = Field(default=20260101, ge=0, lt=2**63, description="same seed, same output")
    sampling: Literal["random", "lhs", "sobol"] = Field(
        default="random", description="design of the path-level draws: random, lhs or sobol"
    )
    targets: list[Units] = Field(
        default_factory=lambda: [500_000, 750_000, 1_000_000],
        min_length=1,
        max_length=20,
        description='units a year to report P(units >= target) for; numbers or "500k", "1M"',
    )


class Fade(Model):
    """The trend rate moves towards ``to``, halving its distance every ``half_life`` years."""

    to: Dist = Field(description="long-run annual growth the trend moves towards, 0.10 = +10%")
    half_life: float = Field(gt=0, description="years for the gap to the long-run rate to halve")


class ReferenceGrowth(Model):
    """Options of ``[growth] model = "reference"``: which record the pooled growth model is
    fitted on (always cut at the scenario's base year), and how."""

    # ``resolved`` holds the fitted posterior, filled in when the scenario is loaded
    # (``model.checks``): ``(a, b, V00, V01, V11, ig_shape, ig_scale, n_obs)``.

    makers: list[Annotated[str, Field(min_length=1)]] | None = Field(
        default=None,
        min_length=1,
        description="peer makers pooled (default: every maker in the bundled peers data)",
    )
    own_history: bool = Field(
        default=True, description="pool the scenario's own history too (cut at the base year)"
    )
    min_units: Units = Field(
        default=20_000, description="leave out maker-years that started below this many units"
    )
    recent_weight: float | None = Field(
        default=None,
        gt=0,
        description="half-life in years for down-weighting old years (default: all alike)",
    )
    L0: Units = Field(
        default=100_000, gt=0, description="centring level: intercept a is the growth at L0"
    )
    prior: Literal["weak", "noninformative"] = Field(
        default="weak", description="prior of the Bayesian fit"
    )
    resolved: tuple[float, ...] | None = Field(default=None, exclude=True)


class Growth(Model):
    """Trend growth drawn once per path, with year-to-year noise on log growth; or, with
    ``model = "reference"``, growth that slows with scale, fitted on the reference class."""

    model: Literal["trend", "reference"] | None = Field(
        default=None,
        description="trend (default): rate, volatility, fade; reference: log growth = "
        "a + b ln(level/L0) + sigma z, (a, b, sigma) drawn per path from the makers' record",
    )
    rate: Dist | None = Field(
        default=None, description="annual growth of the trend, 0.45 = +45% (median path)"
    )
    volatility: Dist = Field(
        default_factory=lambda: Fixed(value=0.0), description="sd of log growth per year"
    )
    fade: Fade | None = Field(default=None, description="optional fade to a long-run rate")
    reference: ReferenceGrowth | None = Field(
        default=None, description='options of model = "reference" (makers, min_units, ...)'
    )

    @model_validator(mode="after")
    def _check_model(self) -> Growth:
        if self.model != "reference":
            if self.rate is None:
                raise ValueError(
                    "missing required key 'rate' (annual growth of the trend, 0.45 = +45%); "
                    'or set model = "reference"'
                )
            if self.reference is not None:
                raise ValueError('[growth.reference] applies only with model = "reference"')
        else:
            # (a document dumped and re-read carries the default volatility 0: that is allowed)
            given = [k for k in ("rate", "fade") if getattr(self, k) is not None]
            if self.volatility != Fixed(value=0.0):
                given.insert(1 if self.rate is not None else 0, "volatility")
            if given:
                raise ValueError(
                    f'model = "reference" draws growth and its noise from the reference class; '
                    f"remove {', '.join(given)}"
                )
        return self

    @property
    def is_reference(self) -> bool:
        return self.model == "reference"

    @property
    def reference_options(self) -> ReferenceGrowth:
        """The reference options, defaults filled in (only meaningful for the reference model)."""
        return self.reference if self.reference is not None else ReferenceGrowth()


class Saturation(Model):
    """A market ceiling: growth slows logistically as demand approaches it."""

    ceiling: Dist = Field(description="units a year the market can take at most")
    model: Literal["logistic"] = Field(default="logistic", description="how growth slows near it")


PERSISTENCE_PATTERN = r"^(permanent|one-year|months:[0-9]+|half-life:[0-9]+(\.[0-9]+)?)$"
MAX_TRANSIENT_YEARS = 10  # a fading event's tail is cut after this many years


def _persistence_profile(text: str) -> tuple[str, float]:
    """``"months:3"`` -> ("months", 3); a one-line error for anything else."""
    kind, _, value = text.partition(":")
    if kind in ("permanent", "one-year") and not value:
        return kind, 0.0
    try:
        n = float(value) if kind in ("months", "half-life") else None
    except ValueError:
        n = None
    if n is None or kind == "months" and not (n.is_integer() and 1 <= n <= 120):
        raise ValueError(
            f"persistence {text!r}: expected permanent, one-year, months:N (N whole months, 1 to "
            "120) or half-life:N (months, above 0)"
        )
    if kind == "half-life" and not 0 < n <= 600:
        raise ValueError(
            f"persistence {text!r}: the half-life must be above 0 and at most 600 months"
        )
    return kind, n


class Event(Model):
    """Something that may happen in a year and moves the level of demand."""

    name: str = Field(min_length=1, description="unique; a child's event of this name overrides it")
    year: YEAR | list[YEAR] = Field(
        description="a year, or [first, last]: one year drawn uniformly"
    )
    probability: float = Field(default=1.0, ge=0, le=1, description="chance it happens, 0 to 1")
    kind: Literal["multiply", "add"] = Field(
        default="multiply", description="multiply: level changes by a fraction; add: units"
    )
    impact: Dist = Field(description="multiply: fraction (-0.05 = -5%); add: units")
    persistence: str = Field(
        default="permanent",
        json_schema_extra={"pattern": PERSISTENCE_PATTERN},
        description='"permanent" level shift; "one-year": the rest of the year it happens; '
        '"months:N": a dip (or lift) for N months that then ends; "half-life:N": one that fades, '
        "halving every N months",
    )
    month: str | None = Field(
        default=None,
        description='the month it starts, "YYYY-MM" in its year (default: January); the annual '
        "model counts the months of the year it covers, the nowcast places it in them",
    )
    segment: str | None = Field(default=None, description="only this segment (default: all)")

    @model_validator(mode="after")
    def _check_years(self) -> Event:
        if isinstance(self.year, list):
            if len(self.year) != 2:
                raise ValueError(f"year range must be [first, last], got {len(self.year)} values")
            if self.year[0] > self.year[1]:
                raise ValueError(f"year range [{self.year[0]}, {self.year[1]}] runs backwards")
        _persistence_profile(self.persistence)
        if self.month is not None:
            match = _MONTH_KEY.fullmatch(self.month)
            if not match or not 1 <= int(match.group(2)) <= 12:
                raise ValueError(
                    f"month {self.month!r} is not a month; expected YYYY-MM, e.g. 2026-03"
                )
            if isinstance(self.year, list):
                raise ValueError(
                    f"month {self.month} needs a single year, not the range [{self.year[0]}, "
                    f"{self.year[1]}]"
                )
            if int(match.group(1)) != self.year:
                raise ValueError(f"month {self.month} is not in the event's year {self.year}")
        return self

    @property
    def start_month(self) -> int:
        """Calendar month (1-12) the event starts in."""
        return 1 if self.month is None else int(self.month[5:7])

    def monthly_profile(self, months: int) -> list[float]:
        """The share of the impact in force in each of ``months`` months from its start."""
        kind, n = _persistence_profile(self.persistence)
        start = self.start_month
        out = []
        for k in range(months):
            if kind == "permanent":
                out.append(1.0)
            elif kind == "one-year":
                out.append(1.0 if k <= 12 - start else 0.0)
            elif kind == "months":
                out.append(1.0 if k < n else 0.0)
            else:
                out.append(0.5 ** (k / n))
        return out

    def year_fractions(self) -> tuple[tuple[float, ...], int | None]:
        """How the annual model applies it: (the impact's share in the year it happens and in
        each year after, as a one-year effect; the year offset from which it is a permanent
        level shift, or None). ``persistence`` "permanent" from January is (() , 0) and
        "one-year" from January ((1.0,), None): exactly the events without a month."""
        kind, _ = _persistence_profile(self.persistence)
        start = self.start_month
        if kind == "permanent":
            return ((), 0) if start == 1 else (((13 - start) / 12,), 1)
        if kind == "one-year" and start == 1:
            return (1.0,), None
        profile = self.monthly_profile(12 * MAX_TRANSIENT_YEARS)
        months = [0.0] * (start - 1) + profile
        fractions = [sum(months[12 * j : 12 * j + 12]) / 12 for j in range(MAX_TRANSIENT_YEARS)]
        while fractions and fractions[-1] < 1e-6:
            fractions.pop()
        return tuple(fractions), None

    @property
    def years(self) -> tuple[int, int]:
        return (
            (self.year[0], self.year[1]) if isinstance(self.year, list) else (self.year, self.year)
        )


_YEAR_KEY = re.compile(r"[0-9]{4}")
_MONTH_KEY = re.compile(r"([0-9]{4})-([0-9]{2})")


class Capacity(Model):
    """Production capacity: sales = min(demand, capacity)."""

    units: Dist | None = Field(default=None, description="capacity in the first forecast year")
    growth: Dist = Field(
        default_factory=lambda: Fixed(value=0.0), description="annual growth of capacity"
    )
    schedule: dict[str, Dist] | None = Field(
        default=None, description='explicit capacity by year, e.g. {"2026" = 1_200_000}'
    )

    @model_validator(mode="after")
    def _check(self) -> Capacity:
        if self.units is None and not self.schedule:
            raise ValueError("capacity needs 'units' (with optional 'growth') or a 'schedule'")
        if self.units is not None and self.schedule:
            raise ValueError("give capacity 'units' with 'growth', or a 'schedule', not both")
        for key in self.schedule or {}:
            # ASCII only: str.isdigit() also takes "２０２６", and "02026" parses as 2026 but
            # never matches a simulated year, so such a schedule was silently never applied
            if not (_YEAR_KEY.fullmatch(key) and 1900 <= int(key) <= 2200):
                raise ValueError(f'schedule key {key!r} is not a year (four digits, e.g. "2027")')
        return self


class Segment(Model):
    """One stream of sales (e.g. china, overseas) with its own base and growth."""

    base: float | None = Field(default=None, ge=0, le=1e12, description="units in the base year")
    share: float | None = Field(
        default=None, ge=0, le=1, description="or a share of the base year's total"
    )
    growth: Growth | None = Field(default=None, description="default: the top-level [growth]")
    saturation: Saturation | None = Field(default=None, description="this segment's market ceiling")

    @model_validator(mode="after")
    def _check(self) -> Segment:
        if self.base is not None and self.share is not None:
            raise ValueError("give a segment 'base' or 'share', not both")
        return self


class MonthlySpec(Model):
    """How the year divides into months, for nowcasts and runs given year-to-date actuals."""

    seasonal: list[Annotated[float, Field(gt=0)]] | None = Field(
        default=None,
        min_length=12,
        max_length=12,
        description="twelve positive factors or shares, January first (default: estimated "
        "from the monthly history)",
    )


class Correlation(Model):
    """A rank (Spearman) correlation between two uncertain path-level inputs."""

    between: list[str] = Field(
        min_length=2, max_length=2, description='two inputs, e.g. ["growth.rate", "capacity.units"]'
    )
    rho: float = Field(ge=-1, le=1, description="Spearman rank correlation, -1 to 1")


class CalibrationSpec(Model):
    """Spread inflation fitted by ``leapforecast calibrate``, applied by ``run --calibrated``."""

    spread: (
        Annotated[float, Field(gt=0, le=100)]
        | Annotated[list[Annotated[float, Field(gt=0, le=100)]], Field(min_length=1)]
    ) = Field(
        description="factor k on log deviations from each year's median (y' = median * "
        "(y / median)^k): one number, or one per year ahead (later years use the last)"
    )


class ScenarioSpec(Model):
    """A whole scenario file."""

    scenario: ScenarioInfo = Field(default_factory=ScenarioInfo)
    history: HistorySpec = Field(default_factory=HistorySpec)
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    growth: Growth | None = None
    saturation: Saturation | None = None
    event: list[Event] = Field(default_factory=list)
    capacity: Capacity | None = None
    monthly: MonthlySpec | None = None
    segment: dict[str, Segment] = Field(default_factory=dict)
    correlation: list[Correlation] = Field(default_factory=list)
    calibration: CalibrationSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> ScenarioSpec:
        if self.growth is None and not self.segment:
            raise ValueError("a scenario needs a [growth] table (or [segment.NAME] tables)")
        if self.segment and any(
            g is not None and g.is_reference
            for g in [self.growth, *(s.growth for s in self.segment.values())]
        ):
            raise ValueError(
                'growth model = "reference" describes a maker\'s total sales; it cannot be used '
                "with [segment] tables (give the segments trend growth, or drop the segments)"
            )
        missing = [n for n, s in self.segment.items() if s.growth is None]
        if missing and self.growth is None:
            raise ValueError(
                f"segment {missing[0]} has no growth and there is no top-level [growth]"
            )
        return self
