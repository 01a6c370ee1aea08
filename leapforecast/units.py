"""Parse and format unit counts the way analysts write them: 500k, 1M, 1_000_000."""

from __future__ import annotations

import math
import re

from leapforecast.errors import UsageError

_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000}
_PATTERN = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?|\.[0-9]+)\s*([kKmM]?)\s*$")


def parse_units(text: str | int | float) -> int:
    """A whole number of units from ``500000``, ``500k``, ``1M``, ``1.5M`` or ``1_000_000``."""
    if isinstance(text, bool):
        raise UsageError(f"expected a number of units, got {text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = _PATTERN.match(str(text))
        if not match:
            raise UsageError(
                f"expected a number of units such as 500000, 500k, 1M or 1_000_000, got {text!r}"
            )
        digits = match.group(1).replace("_", "").replace(",", "")
        value = float(digits) * _SUFFIX[match.group(2).lower()]
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"expected a non-negative number of units, got {text!r}")
    if value != round(value):
        raise UsageError(f"expected a whole number of units, got {text!r}")
    return int(round(value))


def short_units(value: float) -> str:
    """Compact label for a unit count: 500k, 1M, 1.05M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"
