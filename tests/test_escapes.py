"""Control characters from input never reach the terminal raw (issue 16, item 3).

Names, notes, keys and ``extends`` values come from files; an ESC in them could retitle the
terminal (OSC), clear the screen (CSI) or hide text, and a newline splits a one-line error. They
are shown as backslash escapes on stdout (tables) and stderr (errors) alike.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from leapforecast.report.safe import safe_console, safe_segment_text, safe_text

CLI = [sys.executable, "-m", "leapforecast"]

OSC = "\x1b]0;pwned\x07"  # sets the terminal title
CSI = "\x1b[2J"  # clears the screen
C1 = "\x9b2J"  # a one-character CSI
# the same, as TOML basic-string escapes (TOML refuses raw control characters)
T_OSC = "\\u001b]0;pwned\\u0007"
T_CSI = "\\u001b[2J"
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # anything but a newline


def no_raw_controls(text: str, *, newlines_ok: bool = True) -> None:
    assert not RAW.search(text), repr(text)
    if not newlines_ok:
        assert "\n" not in text.rstrip("\n")


def test_safe_text_escapes_every_control_character():
    assert safe_text("plain – ünïcode 中文") == "plain – ünïcode 中文"
    assert safe_text(OSC) == "\\x1b]0;pwned\\x07"
    assert safe_text("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert safe_text("\x7f\x9b\x00") == "\\x7f\\x9b\\x00"
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        assert not RAW.search(safe_text(chr(code))) and "\n" not in safe_text(chr(code))
    assert safe_segment_text("a\nb\x1b") == "a\nb\\x1b"


def test_console_escapes_data_but_keeps_its_own_colours():
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = safe_console(file=buf, force_terminal=True, color_system="standard", width=100)
    console.print(f"title {OSC}")
    table = Table()
    table.add_column("name", style="red")
    table.add_row(f"cell{CSI}")
    table.add_row(Text(f"text{C1}", style="bold"))
    console.print(table)
    out = buf.getvalue()
    assert "\x1b[31m" in out or "\x1b[1m" in out  # Rich's own styles are still emitted
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", out)  # remove Rich's SGR codes
    no_raw_controls(stripped)
    for shown in ("title \\x1b]0;pwned\\x07", "cell\\x1b[2J", "text\\x9b2J"):
        assert shown in stripped


def test_run_table_escapes_scenario_names(cli, write_scenario):
    """ESC and every other control is escaped by the console itself. (A newline inside a ``Text``
    a table builder made cannot be told from a deliberate line break there: builders call
    ``safe_text`` on names they put into ``Text``.)"""
    path = write_scenario(
        f'[scenario]\nname = "evil{T_OSC}line"\n[simulation]\npaths = 300\nseed = 1\n'
        "[growth]\nrate = 0.3\n"
    )
    code, out, err = cli("run", str(path))
    assert (code, err) == (0, "")
    no_raw_controls(out)
    assert "evil\\x1b]0;pwned" in out  # (Rich itself drops the BEL)


def test_history_source_notes_are_escaped(cli, tmp_path):
    csv = tmp_path / "h.csv"
    csv.write_text(
        f'year,units,source\n2023,100000,"note{CSI}"\n2024,200000,"c1{C1}"\n2025,300000,x\n'
    )
    code, out, err = cli("history", "--file", str(csv))
    assert code == 0, err
    no_raw_controls(out)
    no_raw_controls(err)


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        (
            f'[scenario]\nextends = "gone{T_OSC}\\nmore.toml"\n',
            "gone\\x1b]0;pwned\\x07\\nmore.toml",
        ),
        (f'"bad{T_CSI}\\nkey" = 1\n[growth]\nrate = 0.3\n', None),
        (f'[growth]\nrate = "x{T_CSI}\\ny"\n', None),
        (
            f'[growth]\nrate = 0.3\n[[event]]\nname = "e{T_OSC}\\nx"\nyear = 1\nimpact = 0.1\n',
            None,
        ),
    ],
)
def test_errors_stay_on_one_line_and_escape_controls(cli, write_scenario, toml, fragment):
    path = write_scenario(toml)
    code, out, err = cli("run", str(path))
    assert code == 2 and out == ""
    no_raw_controls(err)
    assert all(line.startswith("error: ") for line in err.splitlines()), err
    if fragment is not None:
        assert err.count("\n") == 1 and fragment in err, err


def test_set_keys_with_controls_are_escaped(cli):
    code, out, err = cli("run", "--set", f"growth.rate{CSI}\nx=1")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "\\x1b[2J\\nx" in err
    no_raw_controls(err)


def test_a_file_name_with_controls_is_escaped(cli, tmp_path):
    code, out, err = cli("run", str(tmp_path / f"no{OSC}\nfile.toml"))
    assert code == 2 and out == "" and err.count("\n") == 1
    no_raw_controls(err)
    assert "no\\x1b]0;pwned\\x07\\nfile.toml" in err


# --------------------------------------------------------------------------- terminals


@pytest.mark.parametrize("columns", ["0", "-3", "abc", "99999999"])
def test_absurd_columns_fall_back_to_80(cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    code, out, err = cli("run", "-n", "300", "--seed", "1")
    assert (code, err) == (0, "")
    assert "2026" in out and "Units per year" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_no_progress_bar_without_cursor_controls(monkeypatch):
    from leapforecast.cli.run import progress_bar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        for key in ("NO_COLOR", "TERM"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        stream = Tty()
        clock = iter([0.0, 5.0, 6.0, 7.0]).__next__
        with progress_bar("simulating", stream=stream, clock=clock) as update:
            assert update is None
        assert stream.getvalue() == ""


def _children(pid: int) -> list[int]:
    from pathlib import Path

    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(p) for p in text]
    return out


_COMM_CLOSED = re.compile(
    r"^\S+ \S+ - distributed\.scheduler - CRITICAL - Closed comm <BatchedSend: closed> while "
    r"trying to write .*\nTraceback \(most recent call last\):\n(?:  .*\n)*"
    r"distributed\.comm\.core\.CommClosedError: .*\n",
    re.MULTILINE,
)


def _sigint_ignored(pid: int) -> bool:
    """Whether ``pid`` ignores SIGINT (the CLI does while its cluster starts the workers)."""
    from pathlib import Path

    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGINT - 1) & 1)
    return False


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (0 once it has gone)."""
    from pathlib import Path

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_workers_compute(proc: subprocess.Popen[str], timeout: float = 180.0) -> None:
    """Wait (on a loaded machine too) until the cluster is up, the CLI answers Ctrl-C again and
    two worker processes are computing chunks: Ctrl-C while the cluster starts is a different
    test (the signal is ignored there by design), and a fixed sleep was too short under load."""
    deadline = time.monotonic() + timeout
    start: dict[int, float] | None = None  # each child's CPU time once the cluster was up
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = _children(proc.pid)
        if start is None:
            if len(kids) >= 3 and not _sigint_ignored(proc.pid):  # 2 workers + tracker
                start = {k: _cpu_seconds(k) for k in kids}
        elif sum(_cpu_seconds(k) - start.get(k, 0.0) >= 0.5 for k in kids) >= 2:
            return
        time.sleep(0.2)
    pytest.fail(f"the dask workers did not start computing within {timeout:.0f} s")


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs /proc")
def test_ctrl_c_with_the_dask_executor_is_one_line():
    """Ctrl-C reaches the whole process group: the workers must not print tracebacks or logs."""
    pytest.importorskip("distributed")
    proc = subprocess.Popen(
        [*CLI, "run", "base", "--executor", "dask", "--jobs", "2", "-n", "20000000", "-f", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job would be
    )
    try:
        _wait_until_workers_compute(proc)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # known-harmless: the scheduler may already be reporting a finished chunk to the client when
    # the client's comm closes; it logs that (before our handler can mute it) and carries on
    err = _COMM_CLOSED.sub("", err)
    assert (proc.returncode, out, err) == (130, "", "interrupted\n")
