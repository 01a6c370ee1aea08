"""The package layout issue 12 settled on, checked cheaply so it cannot drift back.

Six layers as subpackages with only the entry point, version, errors and units beside them; a
``py.typed`` marker so type checkers trust our annotations; importing the package or asking for
``--help`` loads none of the numeric stack; and no ``assert`` in the library, because ``python
-O`` strips asserts and validation must survive it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import leapforecast

PACKAGE = Path(leapforecast.__file__).parent
TOP_MODULES = {"__init__", "__main__", "_entry", "_version", "errors", "units"}
LAYERS = {"data", "model", "engine", "analysis", "report", "cli"}
HEAVY = ("pandas", "scipy", "numpy")


def test_top_level_holds_only_the_six_layers_and_the_small_modules() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    others = {
        p.name
        for p in PACKAGE.iterdir()
        if p.suffix != ".py" and p.name not in packages | {"__pycache__", "py.typed"}
    }
    assert modules == TOP_MODULES
    assert packages == LAYERS
    assert others == set()


def test_py_typed_marker_ships_with_the_package() -> None:
    marker = PACKAGE / "py.typed"
    assert marker.is_file()
    assert marker.read_bytes() == b""


def _heavy_modules_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter and list the heavy modules it left loaded (even when
    the code ends in ``SystemExit``, as ``--help`` does)."""
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print('LOADED=' + ','.join(m for m in {HEAVY!r} "
        "if m in sys.modules)))\n" + code
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("LOADED=")]
    assert len(lines) == 1, (out.returncode, out.stdout, out.stderr)
    return [m for m in lines[0].removeprefix("LOADED=").split(",") if m]


def test_importing_the_package_and_the_cli_loads_no_numeric_stack() -> None:
    assert _heavy_modules_after("import leapforecast\nimport leapforecast.cli\n") == []


def test_help_loads_no_numeric_stack() -> None:
    code = "sys.argv = ['leapforecast', '--help']\nfrom leapforecast._entry import main\nmain()\n"
    assert _heavy_modules_after(code) == []


def test_help_prints_usage_and_succeeds() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "leapforecast", "--help"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_library_never_validates_with_assert() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if isinstance(node, ast.Assert)
    ]
    assert found == []
