"""Untrusted input and the file system (issue 16): what --output may replace, what a read may
consume, the modes of new files, half-done runs and paths inside scenarios.

Devices are made with ``os.mknod`` when the test runs as root (skipped otherwise); FIFOs with
``os.mkfifo`` and a reader or writer thread.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from _outside import quiet

from leapforecast.data._files import MAX_BYTES, files_read, read_text_file, reset_reads
from leapforecast.errors import HistoryError, UsageError
from leapforecast.report.output import write_text

CLI = [sys.executable, "-m", "leapforecast"]
HIST = "year,units\n2022,100000\n2023,150000\n2024,300000\n2025,400000\n"
TARGETS = "year,target,actual,source\n2023,200000,144155,a\n2025,500000,596555,b\n"
root_only = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root"
)


def one_error(code: int, out: str, err: str, *fragments: str, warnings: bool = False) -> None:
    """Exit 2, nothing on stdout, exactly one error line (after warnings, where allowed)."""
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    if warnings:
        err = err[err.index("error: ") :]
    assert err.count("\n") == 1 and err.startswith("error: "), err
    for fragment in fragments:
        assert fragment in err, err


def _device(path: Path, major: int, minor: int) -> Path:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except OSError as exc:  # a container without CAP_MKNOD
        pytest.skip(f"mknod: {exc}")
    return path


class FifoReader(threading.Thread):
    """Reads a FIFO to the end in the background, as `cat fifo` would."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.data = path, b""

    def run(self) -> None:
        with open(self.path, "rb") as handle:
            self.data = handle.read()


# --------------------------------------------------------------------------- 1. write through


def test_output_to_a_fifo_is_written_through(cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    reader.start()
    code, out, err = cli("run", "-n", "200", "--seed", "1", "-f", "csv", "-o", str(fifo))
    reader.join(timeout=60)
    assert (code, out, quiet(err)) == (0, "", "")
    assert reader.data.decode().startswith("scenario,year,")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not a regular file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_output_through_a_symlink_to_a_fifo(cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)
    reader = FifoReader(fifo)
    reader.start()
    code, _, err = cli("schema", "-o", str(tmp_path / "link"))
    reader.join(timeout=60)
    assert (code, err) == (0, "")
    assert reader.data.startswith(b"{")
    assert (tmp_path / "link").is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


@root_only
def test_output_to_a_device_node_keeps_the_node(cli, tmp_path):
    null = _device(tmp_path / "null", 1, 3)
    (tmp_path / "null-link").symlink_to(null)
    for target in (null, tmp_path / "null-link"):
        code, out, err = cli("run", "-n", "200", "-f", "csv", "-o", str(target))
        assert (code, out, quiet(err)) == (0, "", "")
        assert stat.S_ISCHR(os.stat(null).st_mode)
    assert (tmp_path / "null-link").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "null-link"]


@root_only
def test_a_full_device_is_a_one_line_error(cli, tmp_path):
    full = _device(tmp_path / "full", 1, 7)
    code, out, err = cli("run", "-n", "200", "-f", "csv", "-o", str(full))
    one_error(code, out, err, f"--output {full}", "No space left on device")
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_dev_full_if_present(cli):
    if not os.path.exists("/dev/full") or not os.access("/dev/full", os.W_OK):
        pytest.skip("no writable /dev/full")
    code, out, err = cli("schema", "-o", "/dev/full")
    one_error(code, out, err, "/dev/full", "No space left on device")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_symlink_to_a_regular_file_replaces_the_target_not_the_link(cli, tmp_path):
    real = tmp_path / "data" / "real.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, out, err = cli("run", "-n", "200", "-f", "csv", "-o", str(link))
    assert (code, out, quiet(err)) == (0, "", "")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("scenario,year,")
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.csv"]  # no temp left


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "new.txt")
    write_text("hello\n", link)
    assert link.is_symlink() and (tmp_path / "new.txt").read_text() == "hello\n"


# --------------------------------------------------------------------------- 2. never an input


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scenario that reads every kind of file: extends, history, bootstrap, track record."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hist.csv").write_text(HIST)
    (tmp_path / "boot.csv").write_text(HIST)
    (tmp_path / "targets.csv").write_text(TARGETS)
    (tmp_path / "parent.toml").write_text("[simulation]\npaths = 200\nseed = 1\n")
    (tmp_path / "s.toml").write_text(
        '[scenario]\nextends = "parent.toml"\n[history]\nsource = "hist.csv"\n'
        '[growth]\nrate = { dist = "bootstrap", source = "boot.csv" }\n'
        '[[event]]\nname = "e"\nyear = 2026\nprobability = 0.5\n'
        'impact = { dist = "track_record", target = "600k", source = "targets.csv" }\n'
    )
    (tmp_path / "actuals.csv").write_text("month,units\n2026-01,32059\n")
    return tmp_path


def test_the_project_scenario_runs(cli, project):
    code, out, err = cli("run", "s.toml", "-f", "csv", "-o", "out.csv")
    assert (code, out, err) == (0, "", ""), err
    assert (project / "out.csv").read_text().startswith("scenario,year,")


@pytest.mark.parametrize(
    "victim", ["s.toml", "parent.toml", "hist.csv", "boot.csv", "targets.csv", "actuals.csv"]
)
@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_output_never_overwrites_any_input(cli, project, victim, how):
    before = (project / victim).read_bytes()
    target = {"same": victim, "symlink": "sym.out", "hardlink": "hard.out"}[how]
    if how == "symlink":
        (project / target).symlink_to(project / victim)
    elif how == "hardlink":
        os.link(project / victim, project / target)
    code, out, err = cli("run", "s.toml", "--actuals", "actuals.csv", "-f", "csv", "-o", target)
    one_error(code, out, err, "refusing to overwrite an input of this run")
    assert (project / victim).read_bytes() == before


def test_plot_never_overwrites_an_input(cli, project):
    pytest.importorskip("matplotlib")
    os.link(project / "hist.csv", project / "plot.png")
    code, out, err = cli("run", "s.toml", "--plot", "plot.png")
    one_error(code, out, err, "--plot plot.png: refusing to overwrite an input")
    assert (project / "hist.csv").read_text() == HIST


@pytest.mark.parametrize(
    ("args", "content"),
    [
        (["history", "--file", "h.csv"], HIST),
        (["history", "--monthly", "--file", "h.csv"], "month,units\n2025-01,30000\n"),
        (["peers", "--file", "h.csv"], "maker,year,units\nA,2020,100\nA,2021,200\n"),
        (["fit", "--file", "h.csv"], HIST),
    ],
)
def test_history_and_peers_files_are_protected(cli, tmp_path, monkeypatch, args, content):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h.csv").write_text(content)
    os.symlink(tmp_path / "h.csv", tmp_path / "o.csv")
    code, out, err = cli(*args, "-f", "csv", "-o", "o.csv")
    one_error(code, out, err, "refusing to overwrite an input", warnings=True)
    assert (tmp_path / "h.csv").read_text() == content


def test_the_registry_is_per_command_and_survives_inode_reuse(cli, tmp_path):
    (tmp_path / "h.csv").write_text(HIST)
    assert cli("history", "--file", str(tmp_path / "h.csv"), "-f", "csv")[0] == 0
    assert str(tmp_path / "h.csv") in files_read().values()
    reset_reads()
    assert files_read() == {}
    # a read file that is then deleted: its inode number may be reused by the new output
    read_text_file(tmp_path / "h.csv", HistoryError)
    (tmp_path / "h.csv").unlink()
    write_text("x\n", tmp_path / "new.csv")
    assert (tmp_path / "new.csv").read_text() == "x\n"


# --------------------------------------------------------------------------- 4. bounded reads


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_everywhere(cli, tmp_path, monkeypatch, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(f'[history]\nsource = "{device}"\n[growth]\nrate = 0.3\n')
    (tmp_path / "e.toml").write_text('[scenario]\nextends = "dev"\n')
    (tmp_path / "dev").symlink_to(device)
    cases = [
        ["run", device],
        ["history", "--file", device],
        ["run", "s.toml"],
        ["run", "-n", "100", "--actuals", device],
        ["run", "e.toml"],
        ["validate", device],
    ]
    for args in cases:
        code, out, err = cli(*args)
        assert code == 2 and "Traceback" not in err, (args, err)
        expected = "outside this file's folder" if args == ["run", "e.toml"] else "a device"
        assert expected in err, (args, err)
        assert "did you mean" not in err and "out of memory" not in err


def test_fifos_are_refused_without_waiting_for_a_writer(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo.toml")
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "s.toml").write_text('[history]\nsource = "fifo.csv"\n[growth]\nrate = 0.3\n')
    (tmp_path / "e.toml").write_text('[scenario]\nextends = "fifo.toml"\n')
    for args in (
        ["run", "fifo.toml"],
        ["run", "s.toml"],
        ["run", "e.toml"],
        ["history", "--file", "fifo.csv"],
        ["run", "-n", "100", "--actuals", "fifo.csv"],
    ):
        code, out, err = cli(*args)
        assert code == 2 and out == "", (args, err)
        assert "FIFO (named pipe), expected a regular file" in err, (args, err)
        assert "not found" not in err and "did you mean" not in err, err


def test_fifo_scenario_in_a_real_process_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "fifo.toml")
    proc = subprocess.run(
        [*CLI, "run", str(tmp_path / "fifo.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "FIFO" in proc.stderr


def test_stdin_may_be_a_pipe(tmp_path):
    """A pipe is refused as a named file, but this process's own stdin may be read."""
    proc = subprocess.run(
        [*CLI, "history", "--file", "/dev/stdin", "-f", "csv"],
        input=HIST,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "2025" in proc.stdout


def test_reads_are_bounded_by_bytes_read_not_st_size(tmp_path, monkeypatch):
    """A file that grows, or reports size 0, is still cut at MAX_BYTES + 1 bytes."""
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (MAX_BYTES + 10))
    reads: list[int] = []
    real_read = os.read

    def spy(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        reads.append(len(data))
        return data

    monkeypatch.setattr(os, "read", spy)
    with pytest.raises(HistoryError, match="larger than 5 MB"):
        read_text_file(big, HistoryError)
    assert sum(reads) == MAX_BYTES + 1


# --------------------------------------------------------------------------- 5. modes


@pytest.fixture
def umask():
    def set_(value: int) -> None:
        os.umask(value)

    old = os.umask(0o022)
    yield set_
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(cli, tmp_path, umask, mask, mode):
    umask(mask)
    assert cli("run", "-n", "200", "-f", "csv", "-o", str(tmp_path / "r.csv"))[0] == 0
    assert cli("schema", "-o", str(tmp_path / "s.json"))[0] == 0
    assert cli("new", "n", "-o", str(tmp_path / "n.toml"))[0] == 0
    for name in ("r.csv", "s.json", "n.toml"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode, name


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664])
def test_a_replaced_file_keeps_its_mode(cli, tmp_path, umask, mode):
    umask(0o022)
    target = tmp_path / "r.csv"
    target.write_text("old\n")
    os.chmod(target, mode)
    assert cli("run", "-n", "200", "-f", "csv", "-o", str(target))[0] == 0
    assert stat.S_IMODE(os.stat(target).st_mode) == mode
    assert target.read_text().startswith("scenario,")


# --------------------------------------------------------------------------- 6. half-done runs


def test_plot_is_not_written_when_the_output_folder_is_bad(cli, tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "p.png"
    code, out, err = cli(
        "run", "-n", "200", "--plot", str(plot), "-f", "csv", "-o", str(tmp_path / "no" / "o.csv")
    )
    one_error(code, out, err, "folder", "does not exist")
    assert not plot.exists() and list(tmp_path.iterdir()) == []


def test_output_is_not_written_when_the_plot_is_bad(cli, tmp_path):
    out_file = tmp_path / "o.csv"
    code, out, err = cli(
        "run", "-n", "200", "--plot", str(tmp_path / "no" / "p.png"), "-f", "csv",
        "-o", str(out_file),
    )  # fmt: skip
    one_error(code, out, err, "--plot", "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_concurrent_exclusive_writers_exactly_one_wins(tmp_path):
    target = tmp_path / "new.toml"
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def writer(i: int) -> None:
        barrier.wait()
        try:
            write_text(f"writer {i}\n", target, exclusive=True, option="new:")
            outcomes.append(f"won {i}")
        except UsageError as exc:
            assert "already exists" in str(exc)
            outcomes.append("lost")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1 and outcomes.count("lost") == 7
    assert target.read_text() == f"writer {winners[0].split()[1]}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["new.toml"]


def test_new_loses_the_race_to_a_file_created_after_its_check(cli, tmp_path, monkeypatch):
    """The file appears between `new`'s existence check and its write: `new` must refuse."""
    from leapforecast.report import output

    target = tmp_path / "race.toml"
    real = output._create_temp

    def create_then_race(folder: str, name: str):
        target.write_text("the other writer\n")
        return real(folder, name)

    monkeypatch.setattr(output, "_create_temp", create_then_race)
    code, out, err = cli("new", "race", "-o", str(target))
    one_error(code, out, err, "already exists")
    assert target.read_text() == "the other writer\n"
    assert [p.name for p in tmp_path.iterdir()] == ["race.toml"]


def test_a_250_character_output_name_works(cli, tmp_path):
    target = tmp_path / ("r" * 246 + ".csv")
    code, out, err = cli("run", "-n", "200", "-f", "csv", "-o", str(target))
    assert (code, out, quiet(err)) == (0, "", "")
    assert target.read_text().startswith("scenario,") and len(target.name) == 250
    code, _, err = cli("run", "-n", "200", "-f", "csv", "-o", str(target))  # replace it too
    assert (code, quiet(err)) == (0, "")


def test_the_bundled_base_runs_from_a_deleted_working_directory(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    script = f'cd "{gone}" && rmdir "{gone}" && exec "$@"'
    proc = subprocess.run(
        ["bash", "-c", script, "bash", *CLI, "run", "-n", "200", "--seed", "1", "-f", "csv"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("scenario,year,") and quiet(proc.stderr) == ""


# --------------------------------------------------------------------------- 7. paths in scenarios


def test_track_record_source_is_relative_to_the_scenario(cli, tmp_path, monkeypatch):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "targets.csv").write_text(TARGETS)
    (folder / "t.toml").write_text(
        "[simulation]\npaths = 200\nseed = 1\n[growth]\n"
        'rate = { dist = "track_record", target = "1M", source = "targets.csv" }\n'
    )
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    code, out, err = cli("run", "cases/t.toml", "-f", "csv")
    assert (code, quiet(err)) == (0, ""), err
    assert out.startswith("scenario,year,")


def test_a_system_file_as_history_is_quoted_short_and_escaped(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secret = "root:x:0:0:a-long-secret-line-that-must-not-be-echoed-whole:/root:/bin/bash"
    (tmp_path / "passwd").write_text(secret + "\nsecond\x1b]0;t\x07:x:1\n")
    (tmp_path / "s.toml").write_text('[history]\nsource = "passwd"\n[growth]\nrate = 0.3\n')
    code, out, err = cli("run", "s.toml")
    one_error(code, out, err, "passwd")
    assert secret not in err and "must-not-be-echoed-whole" not in err
    assert "\x1b" not in err
    assert code == 2
    for variant in (["history", "--file", "passwd"], ["peers", "--file", "passwd"]):
        code, out, err = cli(*variant)
        one_error(code, out, err)
        assert "must-not-be-echoed-whole" not in err and "\x1b" not in err


def test_excerpt_is_short_and_escaped():
    from leapforecast.data._files import excerpt

    assert excerpt("2020") == "'2020'"
    assert len(excerpt("y" * 500)) <= 42
    assert excerpt("a\x1b[2Jb") == "'a\\x1b[2Jb'"
    assert len(excerpt(["x" * 100, "y"])) <= 42
