"""The command-line interface: a thin Typer layer over the library.

Commands parse options, call the library and write what it returns; the library's exceptions
become one-line messages and exit codes in ``errors.run_app``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from leapforecast._version import __version__
from leapforecast.cli import history as _history
from leapforecast.cli import run as _run

app = typer.Typer(
    name="leapforecast",
    help=(
        "Monte Carlo sales-scenario forecasts: the chance of reaching 500k, 750k or 1M cars "
        "a year.\n\n"
        "Exit codes: 0 success, 1 internal error, 2 bad usage or input, 130 interrupted."
    ),
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leapforecast {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback for internal errors.")
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


app.command("run")(_run.run)
app.command("history")(_history.history)

# Command groups added by later capabilities: each module defines ``register(app)``.
# A module that does not exist yet is skipped; any other import error is a real bug and raises.
PLUGIN_MODULES = ("authoring", "analysis", "validity", "nowcast", "perf")


def _register_plugins() -> None:
    import importlib

    for name in PLUGIN_MODULES:
        qualified = f"{__name__}.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:
                continue
            raise
        module.register(app)


_register_plugins()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    import sys

    from leapforecast.cli.errors import run_app

    sys.exit(run_app(app, argv))
