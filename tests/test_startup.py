"""Start-up (issue 18): commands load only what they use, and the CLI's trimmed start-up (one
command's group, deferred Typer coercion) behaves as the whole group does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _loaded(args: list[str]) -> tuple[set[str], str]:
    # reported by an exit handler: the command line leaves through them (_entry._leave)
    code = (
        "import atexit, sys\n"
        "def report():\n"
        "    names = ('numpy', 'numpy.ma', 'scipy', 'pandas', 'pydantic')\n"
        "    heavy = [m for m in names if m in sys.modules]\n"
        "    sys.stderr.write('\\nMODULES ' + ','.join(heavy))\n"
        "atexit.register(report)\n"
        "from leapforecast._entry import main\n"
        f"sys.argv = ['leapforecast', *{args!r}]\n"
        "main()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ)
    )
    assert "\nMODULES " in out.stderr, out.stderr
    line = out.stderr.rsplit("MODULES ", 1)[-1].strip()
    return set(line.split(",")) - {""}, out.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["history"],
        ["history", "--targets"],
        ["history", "-f", "csv"],
        ["scenarios"],
        ["scenarios", "-f", "json"],
    ],
)
def test_listing_commands_import_no_numpy_scipy_or_pandas(args):
    loaded, stdout = _loaded(args)
    assert stdout.strip()  # the command did run
    assert not loaded & {"numpy", "scipy", "pandas"}
    if "-f" not in args:  # a value given on the command line is coerced by Typer's Pydantic
        assert "pydantic" not in loaded


def test_validate_imports_no_scipy_or_pandas():
    loaded, stdout = _loaded(["validate", "base"])
    assert "ok" in stdout
    assert not loaded & {"scipy", "pandas"}


def test_one_command_group_behaves_as_the_whole(cli):
    # a misspelt command still gets the whole group's suggestion
    code, out, err = cli("rnu")
    assert code == 2 and "Did you mean 'run'?" in err
    # global flags before the command, and a bad value still coerced by Typer
    code, out, err = cli("-q", "run", "--jobs", "0")
    assert code == 2 and "--jobs" in err
    code, out, err = cli("--debug", "history", "-f", "csv")
    assert code == 0 and out.startswith("year,")


def test_deferred_coercion_leaves_typer_values_alone():
    from leapforecast.cli import app
    from leapforecast.cli.startup import _command_name, command_for

    assert _command_name(["-q", "--debug", "run", "x"]) == "run"
    assert _command_name(["--help", "run"]) is None
    assert _command_name([]) is None
    whole = command_for(app, ["--help"])
    assert len(whole.commands) > 10  # type: ignore[attr-defined]
    one = command_for(app, ["run"])
    assert list(one.commands) == ["run"]  # type: ignore[attr-defined]
    with one.make_context("leapforecast", ["run", "-n", "5", "-j", "2", "-f", "csv"]) as ctx:
        sub = one.commands["run"]  # type: ignore[attr-defined]
        sub_ctx = sub.make_context("run", ["-n", "5", "-j", "2", "-f", "csv"], parent=ctx)
        params = sub_ctx.params
    assert params["paths"] == 5 and params["jobs"] == 2 and params["fmt"].value == "csv"
    assert params["month"] is None or params["month"] == ()
    assert params["executor"].value == "processes" and params["scenario"] is None


def _entry_process(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    probe = f"import sys\nsys.argv = ['leapforecast', *{list(args)!r}]\n{code}"
    return subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ),
    )


_MAIN = "from leapforecast._entry import main\nmain()\n"


def test_fast_exit_keeps_status_output_and_exit_handlers(tmp_path):
    """The console script leaves without the interpreter's teardown (_entry._leave): the status
    is the command's, every byte of output and every file is there, exit handlers still run
    and what they print is flushed."""
    target = tmp_path / "out.csv"
    handler = "import atexit\natexit.register(lambda: print('HANDLER RAN'))\n"
    done = _entry_process(handler + _MAIN, "run", "-n", "2000", "-f", "csv", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "HANDLER RAN"
    shown = _entry_process(_MAIN, "run", "-n", "2000", "-f", "csv")
    assert shown.returncode == 0 and target.read_text() == shown.stdout
    bad = _entry_process(handler + _MAIN, "run", "--paths", "x")
    assert bad.returncode == 2 and bad.stdout.strip() == "HANDLER RAN"
    assert bad.stderr.startswith("error: leapforecast run:") and bad.stderr.count("\n") == 1


def test_fast_exit_waits_for_a_live_thread(tmp_path):
    """A thread still running when the command ends gets the ordinary exit, which waits for it."""
    flag = tmp_path / "thread-finished"
    code = (
        "import threading, time\n"
        "def late():\n"
        "    time.sleep(0.3)\n"
        f"    open({str(flag)!r}, 'w').close()\n"
        "threading.Thread(target=late).start()\n" + _MAIN
    )
    done = _entry_process(code, "history", "-f", "csv")
    assert done.returncode == 0 and done.stdout.startswith("year")
    assert flag.exists()


def test_default_run_skips_numpy_masked_arrays():
    """``np.unique``/``np.union1d``/``np.quantile`` import ``numpy.ma`` (~10 ms) on first use;
    a default run needs none of them (engine.quantiles does their work exactly)."""
    loaded, stdout = _loaded(["run", "-n", "2000"])
    assert "P(" in stdout or "units" in stdout.lower()
    assert "numpy" in loaded and "numpy.ma" not in loaded


def test_fast_exit_only_when_leapforecast_is_the_program():
    """Run inside another program (runpy, as IPython's ``%run -m`` does) or under a profiler,
    the command ends with an ordinary ``SystemExit``: the host goes on, the profiler reports."""
    host = (
        "import runpy, sys\n"
        "sys.argv = ['leapforecast', 'history', '-f', 'csv']\n"
        "try:\n"
        "    runpy.run_module('leapforecast', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    print('HOST GOES ON', exc.code)\n"
    )
    host = "import gc\nbefore = gc.get_threshold()\n" + host
    settings = "gc.get_threshold() == before, os.environ.get('OPENBLAS_NUM_THREADS')"
    host += f"import os\nprint({settings})\n"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", host], capture_output=True, text=True, env=env)
    lines = done.stdout.rstrip().splitlines()
    assert done.returncode == 0 and lines[-2] == "HOST GOES ON 0"
    assert lines[-1] == "True None"  # and its process settings are left as they were
    profiled = subprocess.run(
        [sys.executable, "-m", "cProfile", "-m", "leapforecast", "history", "-f", "csv"],
        capture_output=True,
        text=True,
    )
    assert profiled.returncode == 0 and "function calls" in profiled.stdout
    canary = (
        "import sys\n"
        "class Canary:\n"
        "    def __del__(self):\n"
        "        sys.__stderr__.write('TEARDOWN RAN')\n"
        "canary = Canary()\n" + _MAIN
    )
    fast = _entry_process(canary, "history", "-f", "csv")  # this is the program: no teardown
    assert fast.returncode == 0 and "TEARDOWN RAN" not in fast.stderr
