"""``leapforecast run``: simulate a scenario and print the forecast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import Format, FormatOpt, OutputOpt, SetOpt, TargetOpt, parse_targets, render_tables


def run(
    scenario: Annotated[str | None, typer.Argument(help="Scenario TOML file, or a bundled name (see 'leapforecast scenarios'). Default: the bundled base.")] = None,
    paths: Annotated[int | None, typer.Option("--paths", "-n", min=1, help="Monte Carlo paths (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Random seed (default: the scenario's).")] = None,
    target: TargetOpt = None,
    horizon: Annotated[int | None, typer.Option("--horizon", help="Last forecast year, e.g. 2030.")] = None,
    set_: SetOpt = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker threads; the output is identical for any number.")] = 1,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Run a scenario and show yearly quantiles and the probability of each target.

    Example: leapforecast run scenarios/base.toml --paths 200000 --target 1M --format csv
    """
    from .. import render
    from ..engine import simulate
    from ..output import write_text
    from ..scenario import load_scenario

    sc = load_scenario(scenario, overrides=set_ or [], horizon=horizon, targets=parse_targets(target))
    result = simulate(sc, paths=paths, seed=seed, jobs=jobs)
    if fmt is Format.table:
        text = render_tables(render.result_tables(result), output)
    else:
        text = render.result_csv(result) if fmt is Format.csv else render.result_json(result)
    if text is not None:
        write_text(text, output, inputs=[s.label for s in sc.sources])


__all__ = ["run", "Path"]
