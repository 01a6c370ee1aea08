"""The outside view as a model: pooled growth that slows with scale (see
:mod:`leapforecast.model.reference`, where the fit lives so that a scenario's
``[growth] model = "reference"`` can use it), plus a reader for the bundled annual CSVs.
"""

from __future__ import annotations

import csv
from pathlib import Path

from leapforecast.model.reference import (
    DEFAULT_L0,
    DEFAULT_MAX_LOG_GROWTH,
    DEFAULT_MIN_UNITS,
    WEAK_PRIOR,
    GrowthData,
    NIGPrior,
    ReferenceFit,
    fit_reference,
    growth_observations,
)

__all__ = [
    "DEFAULT_L0",
    "DEFAULT_MAX_LOG_GROWTH",
    "DEFAULT_MIN_UNITS",
    "WEAK_PRIOR",
    "GrowthData",
    "NIGPrior",
    "ReferenceFit",
    "fit_reference",
    "growth_observations",
    "load_annual_series",
]


def _data_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "data"


def load_annual_series(
    peers_csv: str | Path | None = None,
    leapmotor_csv: str | Path | None = None,
    *,
    include_leapmotor: bool = True,
    leapmotor_name: str = "Leapmotor",
) -> dict[str, list[tuple[int, float]]]:
    """``{maker: [(year, units), ...]}`` from the bundled (or given) CSVs.

    ``peers_csv`` has columns ``maker,year,units,...``; ``leapmotor_csv`` has ``year,units,...``
    and is added under ``leapmotor_name``. Only the csv module is used; checks are those of
    :func:`growth_observations`.
    """
    peers_path = Path(peers_csv) if peers_csv is not None else _data_dir() / "ev_peers_annual.csv"
    out: dict[str, list[tuple[int, float]]] = {}
    with open(peers_path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["maker"].strip(), []).append((int(row["year"]), float(row["units"])))
    if include_leapmotor:
        lm_path = (
            Path(leapmotor_csv)
            if leapmotor_csv is not None
            else _data_dir() / "leapmotor_annual.csv"
        )
        with open(lm_path, encoding="utf-8", newline="") as fh:
            out[leapmotor_name] = [
                (int(row["year"]), float(row["units"])) for row in csv.DictReader(fh)
            ]
    return out
