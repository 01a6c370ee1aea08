"""Shared fixtures: small deterministic runs, a CLI runner, scenario files written on the fly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write TOML text (dedented) to a file in tmp_path and return its path."""

    def _write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def cli():
    """Run the CLI in-process through the same error mapping as the console script.

    Returns (exit_code, stdout, stderr).
    """
    import contextlib
    import io

    from leapforecast.cli import app
    from leapforecast.cli.errors import run_app

    def _run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_app(app, list(args))
        return int(code), out.getvalue(), err.getvalue()

    return _run
