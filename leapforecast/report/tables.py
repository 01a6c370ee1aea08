"""leapforecast.report.tables."""

from __future__ import annotations

import math
from typing import Any


def report_table(title: Any = None) -> Any:
    """The house table style: left-aligned title, a rule under the header, no outer padding."""
    from rich import box
    from rich.table import Table

    class _FoldingTable(Table):
        """Numbers are never cut into '…': a column that does not fit folds (wraps mid-value)
        unless its builder asks for another overflow."""

        def add_column(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("overflow", "fold")
            super().add_column(*args, **kwargs)

    return _FoldingTable(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )


def fold_columns(table: Any) -> Any:
    """Make ``table`` fold rather than cut: every column left at Rich's default overflow (an
    ellipsis) wraps its cells instead, so a number on a narrow terminal is split over two lines,
    never shortened into '…'. The consoles apply this to every table they print (whoever built
    it); when the table fits, the layout is unchanged."""
    for column in getattr(table, "columns", ()):
        if column.overflow == "ellipsis":
            column.overflow = "fold"
            column.no_wrap = False  # no_wrap with fold would cut silently
    return table


def thousands(units: float) -> str:
    return f"{units / 1000:,.1f}"


def pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def _points_up(x: float) -> str:
    """``x`` percentage points rounded up to two significant digits, trailing zeros dropped
    (0.0029957 -> '0.003', 0.01498 -> '0.015'): a bound printed never tighter than it is."""
    if x <= 0:
        return "0"
    decimals = max(0, 1 - math.floor(math.log10(x)))
    scale = 10.0**decimals
    text = f"{math.ceil(x * scale - 1e-9) / scale:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def prob_se(p: float, se: float, bound: float, *, sign: str = "%") -> str:
    """A probability and its Monte Carlo s.e. in points ('66.3% ±0.15'); where no path (or
    every path) was on one side, the s.e. is 0 and says nothing, so the cell is the 95% bound
    ``bound`` instead: '<0.003%' or '>99.997%' (``SimulationResult.boundary_bound``). ``sign``
    follows each number (tables whose title says 'in %' pass '')."""
    if p <= 0:
        return f"<{_points_up(100 * bound)}{sign}"
    if p >= 1:
        b = _points_up(100 * bound)
        decimals = len(b.split(".")[1]) if "." in b else 0
        return f">{100 - float(b):.{decimals}f}{sign}"
    # an s.e. below 0.005 points (a few paths on one side) is shown to two significant digits,
    # and the probability to match, so a cell never reads '100.0% ±0.00' short of 100%
    x = 100 * se
    d = 2 if not 0 < x < 0.005 else 1 - math.floor(math.log10(float(f"{x:.1e}")) + 1e-9)
    return f"{100 * p:.{max(1, d - 1)}f}{sign} ±{x:.{d}f}"


BOUND_NOTE = (
    "<x% / >y%: no path (or every path) at or above the target: a 95% bound (rule of three)"
)


Column = tuple[str, list[str], str | None]  # header, cells, style


class FoldedTable:
    """A Rich table that folds on a narrow terminal instead of cutting numbers into '…'.

    Columns come in groups that stay together (a target's probability and its 'reached'); when
    the terminal is too narrow for all of them, the groups are stacked in several tables, each
    repeating the key column. When everything fits it is exactly one ordinary table.
    """

    def __init__(self, title: str, key: str, keys: list[str], groups: list[list[Column]]) -> None:
        self.title, self.key, self.keys, self.groups = title, key, keys, groups

    def table(self, groups: list[list[Column]], title: str | None) -> Any:
        table = report_table(title)
        table.add_column(self.key, no_wrap=True, overflow="fold")
        for group in groups:
            for header, _, style in group:
                table.add_column(
                    header, justify="right", no_wrap=True, style=style, overflow="fold"
                )
        for r, key in enumerate(self.keys):
            table.add_row(key, *(cells[r] for group in groups for _, cells, _ in group))
        return table

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        natural = options.update_width(1_000_000)

        def fits(groups: list[Any]) -> bool:
            width = Measurement.get(console, natural, self.table(groups, None)).maximum
            return width <= options.max_width

        if fits(self.groups):  # the usual case, measured once: every narrower prefix fits too
            yield self.table(self.groups, self.title)
            return
        packs: list[list[Any]] = [[]]
        for group in self.groups:
            if packs[-1] and not fits(packs[-1] + [group]):
                packs.append([])
            packs[-1].append(group)
        if len(packs) > 1:  # as many tables, but evenly filled when that fits too
            size = -(-len(self.groups) // len(packs))
            even = [self.groups[i : i + size] for i in range(0, len(self.groups), size)]
            if len(even) == len(packs) and all(fits(pack) for pack in even):
                packs = even
        for i, pack in enumerate(packs):
            yield self.table(pack, self.title if i == 0 else None)


def compact_value(v: float | None) -> str:
    """A held value, compact: 0.27, -0.063, 930k, 1.17M."""
    if v is None:
        return ""
    if float(v).is_integer() and abs(v) < 10_000:
        return f"{int(v)}"  # an event's year is 2030, not 2.03e+03
    if abs(v) >= 10_000:
        return f"{v / 1e6:.3g}M" if abs(v) >= 1e6 else f"{v / 1e3:.3g}k"
    return f"{v:.3g}"
