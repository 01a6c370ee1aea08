"""The command-line interface: a thin Typer layer over the library.

Commands parse options, call the library and write what it returns; the library's exceptions
become one-line messages and exit codes in ``errors.run_app``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from leapforecast._version import __version__
from leapforecast.cli import analysis, authoring, history, nowcast, report, run, validity

app = typer.Typer(
    name="leapforecast",
    help=(
        "Monte Carlo sales-scenario forecasts: the chance of reaching 500k, 750k or 1M cars "
        "a year.\n\n"
        "Exit codes: 0 success, 1 internal error, 2 bad usage or input, 130 interrupted.\n\n"
        "Defaults from the environment: LEAPFORECAST_PATHS (--paths), LEAPFORECAST_SEED "
        "(--seed), LEAPFORECAST_FORMAT (--format), LEAPFORECAST_JOBS (--jobs); an option on "
        "the command line wins."
    ),
    no_args_is_help=False,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
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
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Show no notes, warnings or progress bars on stderr (errors still show).",
        ),
    ] = False,
) -> None:
    if quiet:
        from leapforecast.cli.errors import set_quiet

        set_quiet(True)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


app.command("run")(run.run)
app.command("history")(history.history)
for _module in (authoring, analysis, validity, nowcast, report):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    import sys

    from leapforecast.cli.errors import run_app

    sys.exit(run_app(app, argv))
