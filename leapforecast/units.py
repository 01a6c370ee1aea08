"""Parse and format unit counts the way analysts write them: 500k, 1M, 1_000_000, 1,234,567.

The grammar (one for options, scenario values and CSV cells alike)::

    units   := number [suffix]            suffix := "k" | "K" | "m" | "M"
    number  := [sign] mantissa [exponent]  sign := "+" | "-"
    mantissa:= integer ["." digits] | "." digits
    integer := digits ("_" digits)*        1_000_000 (Python-style)
             | d{1,3} ("," ddd)+           1,234,567 (thousands grouping, every group 3 digits)
    exponent:= ("e" | "E") [sign] digits

A comma anywhere else (``1,5M``, ``300000,5``, ``1,2``) is refused rather than dropped: it is
usually a decimal comma, and dropping it multiplies the value by 10 or more.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from leapforecast.errors import UsageError

_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000}
_NUMBER = (
    r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:_[0-9]+)*)(?:\.[0-9]+)?|\.[0-9]+)"
    r"(?:[eE][+-]?[0-9]+)?"
)
_NUMBER_RE = re.compile(rf"^\s*({_NUMBER})\s*$")
_PATTERN = re.compile(rf"^\s*({_NUMBER})\s*([kKmM]?)\s*$")
# far above any carmaker (and the engine's demand cap); refuses 1e400 before it becomes inf
MAX_UNITS = 10**15
_NON_FINITE = {"nan", "inf", "infinity"}
_EXAMPLES = "such as 500000, 500k, 1.5M, 1_000_000 or 1,000,000"


def _decimal_comma_hint(text: str) -> str:
    return (
        "; commas only group thousands (1,234,567): write a decimal point instead"
        if "," in text
        else ""
    )


def parse_number(text: str) -> float:
    """A plain number by the grammar above (no suffix), or nan/inf for the caller to refuse;
    ``ValueError`` naming the text if not."""
    match = _NUMBER_RE.match(text)
    if not match and text.strip().lower().lstrip("+-") in _NON_FINITE:
        return float(text)  # callers report a non-finite value in their own words
    if not match:
        raise ValueError(f"{text!r} is not a number{_decimal_comma_hint(text)}")
    return float(match.group(1).replace("_", "").replace(",", ""))


def parse_units(text: str | int | float) -> int:
    """A whole number of units from ``500000``, ``500k``, ``1M``, ``1.5M``, ``1_000_000``,
    ``1,000,000`` or ``1e6`` (see the module docstring for the grammar)."""
    if isinstance(text, bool):
        raise UsageError(f"expected a number of units, got {text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = _PATTERN.match(str(text))
        if not match:
            raise UsageError(
                f"expected a number of units {_EXAMPLES}, got {text!r}"
                + _decimal_comma_hint(str(text))
            )
        # exact decimal arithmetic: "1.1M" is 1,100,000, not 1,100,000.0000000002
        exact = Decimal(match.group(1).replace("_", "").replace(",", ""))
        exact *= _SUFFIX[match.group(2).lower()]
        if exact < 0:
            raise UsageError(f"expected a non-negative number of units, got {text!r}")
        if exact != exact.to_integral_value():
            raise UsageError(f"expected a whole number of units, got {text!r}")
        if exact > MAX_UNITS:
            raise UsageError(f"expected at most {MAX_UNITS:.0e} units, got {text!r}")
        return int(exact)
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"expected a non-negative number of units, got {text!r}")
    if value != round(value):
        raise UsageError(f"expected a whole number of units, got {text!r}")
    if value > MAX_UNITS:
        raise UsageError(f"expected at most {MAX_UNITS:.0e} units, got {text!r}")
    return int(round(value))


def short_units(value: float) -> str:
    """Compact label for a unit count: 500k, 1M, 1.05M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"
