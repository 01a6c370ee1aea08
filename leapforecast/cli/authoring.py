"""Commands for scenario authors: ``validate``, ``schema``, ``scenarios``, ``new``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from leapforecast.cli.common import Format, FormatOpt, OutputOpt, SetOpt, emit


class ValidateFormat(str, Enum):
    text = "text"
    json = "json"


def validate(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Scenario TOML files (or bundled names, or - for standard input) to check.",
            metavar="FILE...",
        ),
    ],
    set_: SetOpt = None,
    fmt: Annotated[
        ValidateFormat,
        typer.Option(
            "--format",
            "-f",
            help="text: 'ok FILE' on stdout, problems on stderr; json: one document on stdout "
            "with every problem's file, line, column, key, message and suggestion.",
        ),
    ] = ValidateFormat.text,
) -> None:
    """Check scenario files and list every problem in every file, one line each, on stderr.

    Prints 'ok FILE' on stdout for each valid file. Exit 0 when all are valid, 2 otherwise.

    Example: leapforecast validate scenarios/*.toml
    Example: leapforecast validate --format json my-case.toml | jq '.files[].problems[]'
    """
    from leapforecast.cli.errors import err

    if fmt is ValidateFormat.json:
        import json

        from leapforecast.model.authoring import validation_report

        report = validation_report(files, overrides=set_ or [])
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        if report["problems"]:
            raise typer.Exit(2)
        return
    from leapforecast.model.authoring import validate_files

    results = validate_files(files, overrides=set_ or [])
    bad = {name: problems for name, problems in results.items() if problems}
    for name, problems in results.items():
        if problems:
            for line in problems:
                err(f"error: {line}")
        else:
            typer.echo(f"ok {name}")
    if bad:
        count = sum(len(p) for p in bad.values())
        err(
            f"{count} problem{'s' if count != 1 else ''} in {len(bad)} of {len(results)} "
            f"file{'s' if len(results) != 1 else ''}"
        )
        raise typer.Exit(2)


def schema(output: OutputOpt = None) -> None:
    """Print the JSON Schema of scenario files, for editors that check and complete TOML.

    Write it next to your scenarios and start each with '#:schema ./scenario.schema.json'
    (Taplo / Even Better TOML), or associate it in a .taplo.toml; see docs/authoring.md.

    Example: leapforecast schema --output scenario.schema.json
    """
    from leapforecast.model.authoring import schema_text
    from leapforecast.report.output import write_text

    write_text(schema_text(), output)


def scenarios(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """List the bundled scenarios with their descriptions.

    Run one with 'leapforecast run NAME'; copy one with 'leapforecast new' and 'extends'.

    Example: leapforecast scenarios --format csv
    """
    from leapforecast.model.catalog import scenario_catalog

    emit(scenario_catalog(), fmt, output)


def new(
    name: Annotated[
        str,
        typer.Argument(
            help="Scenario name; the file is NAME.toml unless --output is given.", metavar="NAME"
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to FILE instead of NAME.toml ('-' for stdout).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write a commented starter scenario that validates and runs as it is.

    Refuses to overwrite an existing file. The starter links its editor schema as
    './scenario.schema.json'; when the folder has none, that file is written too.

    Example: leapforecast new my-case && leapforecast run my-case.toml
    """
    from leapforecast.cli.errors import note
    from leapforecast.errors import UsageError
    from leapforecast.model.authoring import (
        SCHEMA_NAME,
        check_name,
        schema_reference,
        schema_text,
        starter,
    )
    from leapforecast.report.output import write_text

    if output is not None and str(output) == "-":
        write_text(starter(Path(name).name), None)
        return
    stem = check_name(Path(name).name)
    target = output if output is not None else Path(name).parent / f"{stem}.toml"
    if target.exists() or target.is_symlink():
        raise UsageError(
            f"new: {target} already exists; not overwriting it (choose another name or --output)"
        )
    # exclusive: of two concurrent ``new`` to one path exactly one succeeds
    write_text(
        starter(stem, schema=schema_reference(target)), target, option="new:", exclusive=True
    )
    wrote = [str(target)]
    schema_file = target.parent / SCHEMA_NAME
    if not schema_file.exists() and not schema_file.is_symlink():
        # the starter's '#:schema ./scenario.schema.json' must resolve for an editor
        try:
            write_text(schema_text(), schema_file, option="new:", exclusive=True)
            wrote.append(f"{schema_file} (for editors)")
        except UsageError:  # written by someone else meanwhile: theirs is as good
            pass
    note(
        f"wrote {' and '.join(wrote)}; next: leapforecast validate {target} && "
        f"leapforecast run {target}"
    )


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("schema")(schema)
    app.command("scenarios")(scenarios)
    app.command("new")(new)
