"""Pipes, signals, terminals and files: what happens around a run rather than inside it.

- a closed pipe (``| head -1``) ends quietly with status 0 and nothing on stderr;
- Ctrl-C exits 130 with the single line ``interrupted`` and leaves no partial output file;
- a non-terminal stdout (and NO_COLOR) carries no escape codes;
- narrow terminals fold the tables instead of cutting numbers into '…';
- ``--output`` is written through a temporary file and a rename, never over one of the inputs.

Real subprocesses are used wherever the behaviour depends on the operating system.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _outside import quiet

CLI = [sys.executable, "-m", "leapforecast"]
TARGETS = [a for i in range(1, 21) for a in ("-t", f"{100 * i}k")]  # 20 targets: wide output
LONG_RUN = ["run", "--format", "csv", "--paths", "20000000", "--seed", "1"]


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    out.update(extra)
    return out


def shell(pipeline: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a bash pipeline with pipefail, so the status is leapforecast's, not head's."""
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env(),
        timeout=300,
    )


# --------------------------------------------------------------------------- pipes

LF = " ".join(shlex.quote(a) for a in CLI)


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (["-f", "csv", "--horizon", "2075", *TARGETS], "scenario,year,mean,p5"),
        (["-f", "json", "--horizon", "2075", *TARGETS], "{"),  # 128 kB: the pipe closes early
        (["--horizon", "2075", *TARGETS], "default  2,000 paths"),  # Rich tables
    ],
    ids=["csv", "json", "table"],
)
def test_head_closes_the_pipe_quietly(args, first):
    cmd = " ".join(shlex.quote(a) for a in ["run", "-n", "2000", *args])
    proc = shell(f"{LF} {cmd} | head -1")
    assert proc.returncode == 0, proc.stderr
    assert quiet(proc.stderr) == ""
    assert proc.stdout.startswith(first) and proc.stdout.count("\n") == 1


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_reader_gone_before_the_first_write(fmt):
    """The read end is closed before the run writes anything: every write is a broken pipe."""
    proc = subprocess.Popen(
        [*CLI, "run", "-n", "2000", "-f", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0, err
    assert err == ""


def test_broken_pipe_in_process_is_success(cli, monkeypatch):
    """The error mapping turns a BrokenPipeError raised while writing into a quiet exit 0."""
    import errno
    from types import SimpleNamespace

    from leapforecast.report import output

    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        def flush(self) -> None:
            pass

    monkeypatch.setattr(output, "sys", SimpleNamespace(stdout=ClosedPipe()))
    code, out, err = cli("run", "-n", "100", "-f", "csv")
    assert (code, err) == (0, "")


# --------------------------------------------------------------------------- signals


def _wait_until_simulating(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until NumPy is loaded: the CLI imports it only inside the command, so the run is
    then inside the error mapping (a Ctrl-C in the first few ms of start-up is Python's own)."""
    deadline = time.monotonic() + timeout
    maps = Path(f"/proc/{proc.pid}/maps")
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        try:
            if "_multiarray_umath" in maps.read_text():
                time.sleep(0.5)  # well into the simulation
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("the run never started simulating")


needs_proc = pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")


@needs_proc
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_with_one_line(jobs):
    proc = subprocess.Popen(
        [*CLI, *LONG_RUN, "--jobs", jobs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    _wait_until_simulating(proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err == "interrupted\n"
    assert out == ""
    assert time.monotonic() - sent < 30  # stops promptly, not after the remaining chunks


@needs_proc
def test_ctrl_c_at_a_terminal_reaches_the_workers_too_and_is_still_one_line():
    """A terminal sends SIGINT to the whole process group: with --jobs 2 the chunks run on
    forked worker processes (run's default executor), which must end quietly as well."""
    proc = subprocess.Popen(
        [*CLI, *LONG_RUN, "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        start_new_session=True,
    )
    _wait_until_simulating(proc)
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err == "interrupted\n"
    assert out == ""
    assert time.monotonic() - sent < 30


@needs_proc
def test_ctrl_c_leaves_no_partial_output_file(tmp_path):
    target = tmp_path / "forecast.csv"
    target.write_text("previous results\n")
    proc = subprocess.Popen(
        [*CLI, *LONG_RUN, "--output", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    _wait_until_simulating(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (130, "", "interrupted\n")
    assert target.read_text() == "previous results\n"  # untouched, not truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecast.csv"]  # no temp file left


def test_interrupt_while_writing_leaves_nothing_behind(cli, tmp_path, monkeypatch):
    """Ctrl-C in the middle of writing the file: exit 130, old file intact, no temp file."""
    from leapforecast.report import output

    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupted)
    code, out, err = cli("run", "-n", "200", "-f", "csv", "-o", str(target))
    assert (code, out, err) == (130, "", "interrupted\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_disk_full_while_writing_is_one_line(cli, tmp_path, monkeypatch):
    import errno

    from leapforecast.report import output

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.os, "fsync", full)
    code, out, err = cli("run", "-n", "200", "-f", "csv", "-o", str(tmp_path / "out.csv"))
    assert code == 2 and out == ""
    target = tmp_path / "out.csv"
    assert err == f"error: --output {target}: cannot write (No space left on device)\n"
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_one_line(cli, tmp_path, monkeypatch):
    """No permission to create the temporary file (simulated: root ignores permissions)."""
    import errno

    from leapforecast.report import output

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(output, "_create_temp", denied)
    target = tmp_path / "x.csv"
    code, out, err = cli("run", "-n", "100", "-f", "csv", "-o", str(target))
    assert (code, out) == (2, "")
    assert err == f"error: --output {target}: cannot write in {tmp_path} (Permission denied)\n"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- terminals


def test_non_terminal_stdout_has_no_escape_codes():
    proc = subprocess.run(
        [*CLI, "run", "-n", "2000"], capture_output=True, text=True, env=env(), timeout=300
    )
    assert proc.returncode == 0 and proc.stderr == ""
    assert "\x1b" not in proc.stdout and "Units per year" in proc.stdout


def _on_a_terminal(extra_env: dict[str, str]) -> bytes:
    """Run with stdout on a pseudo-terminal and return what it printed."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "run", "-n", "2000"],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env(**extra_env),
    )
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_terminal_gets_styles():
    assert b"\x1b[" in _on_a_terminal({"TERM": "xterm-256color"})


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_no_color_on_a_terminal_gives_no_escape_codes():
    out = _on_a_terminal({"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert b"Units per year" in out and b"\x1b[" not in out


@pytest.mark.parametrize("width", [40, 52, 64])
def test_narrow_terminal_folds_instead_of_truncating(cli, monkeypatch, width):
    from leapforecast.engine.run import simulate
    from leapforecast.model.scenario import load_scenario
    from leapforecast.report import run as render
    from leapforecast.report.tables import prob_se

    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = cli("run", "-n", "3000", "--seed", "5", "--horizon", "2030")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    tables = [line for line in lines if not line.startswith("scenario sha256")]
    assert not any("…" in line for line in tables), out
    # every number of the key columns is printed in full
    result = simulate(load_scenario(None, horizon=2030), paths=3000, seed=5)
    for t in range(len(result.years)):
        assert render.thousands(result.quantiles[3, t]) in out  # p50
        for k in range(len(result.targets)):
            cell = prob_se(result.prob_ge[k, t], result.se_ge[k, t], result.boundary_bound)
            assert cell in out  # '66.3% ±0.15', or a bound such as '>99.900%' at 0 or 1
    for target in result.targets:
        assert f"{target:,}" in out  # first-year table keys
    for header in ("mean", "p5", "p50", "p95", "≥500k", "≥1M", "not by 2030"):
        assert header in out


def test_eighty_columns_keep_one_table_each(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = cli("run", "-n", "2000")
    assert code == 0
    lines = out.splitlines()
    headers = [ln.split()[0] for ln in lines if ln.startswith((" year ", " target "))]
    # one table each, the outside view's included: nothing folded
    assert headers == ["year", "year", "year", "target"]
    assert max(len(line) for line in out.splitlines()) <= 80


def test_very_narrow_terminal_does_not_fail(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "12")
    code, out, err = cli("run", "-n", "500")
    assert code == 0 and err == "" and "2026" in out


# --------------------------------------------------------------------------- --output


def test_output_replaces_atomically_via_rename(cli, tmp_path, monkeypatch):
    """The text goes to a temporary file in the same folder, then os.replace onto the target."""
    from leapforecast.report import output

    target = tmp_path / "f.csv"
    target.write_text("old\n")
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((Path(src).parent, Path(src).name, Path(dst), target.read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", spy)
    code, out, _ = cli("run", "-n", "200", "-f", "csv", "-o", str(target))
    assert code == 0 and out == ""
    [(folder, name, dst, before)] = seen
    assert folder == tmp_path and name.startswith(".f.csv.") and name.endswith(".tmp")
    assert dst == target and before == "old\n"  # the target was untouched until the rename
    assert target.read_text().startswith("scenario,year,")
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]


def test_output_refuses_every_input_of_the_run(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parent = tmp_path / "parent.toml"
    parent.write_text("[growth]\nrate = 0.3\n")
    child = tmp_path / "child.toml"
    child.write_text('[scenario]\nextends = "parent.toml"\n')
    (tmp_path / "link.toml").symlink_to(parent)
    os.link(parent, tmp_path / "hard.toml")
    for out_path in ("child.toml", "parent.toml", "link.toml", "hard.toml", "./sub/../parent.toml"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        code, out, err = cli("run", "child.toml", "-n", "100", "-f", "csv", "-o", out_path)
        assert code == 2 and out == "", out_path
        refusal = "refusing to overwrite an input of this run"
        assert err == f"error: --output {Path(out_path)}: {refusal}\n"
    assert parent.read_text() == "[growth]\nrate = 0.3\n"
    assert child.read_text() == '[scenario]\nextends = "parent.toml"\n'


def test_history_output_refuses_its_input(cli, tmp_path):
    csv = tmp_path / "h.csv"
    csv.write_text("year,units\n2024,100\n2025,200\n")
    code, out, err = cli("history", "--file", str(csv), "-f", "csv", "-o", str(csv))
    assert code == 2 and "refusing to overwrite an input" in err
    assert csv.read_text() == "year,units\n2024,100\n2025,200\n"


def test_run_output_refuses_the_history_it_reads(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hist.csv").write_text("year,units\n2024,100000\n2025,200000\n")
    (tmp_path / "s.toml").write_text('[history]\nsource = "hist.csv"\n[growth]\nrate = 0.3\n')
    code, _, err = cli("run", "s.toml", "-n", "100", "-f", "csv", "-o", "hist.csv")
    assert code == 2 and "refusing to overwrite an input" in err
    assert (tmp_path / "hist.csv").read_text().startswith("year,units\n2024,100000")
