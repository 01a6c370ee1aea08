"""Record every command's output (table, CSV, JSON) at a fixed seed, to show a change is neutral.

    python tools/golden.py record DIR     # before the change
    python tools/golden.py check DIR      # after: byte-identical, or the differing commands

Each command runs in a fresh process with COLUMNS=100 and NO_COLOR, so tables are comparable.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

SCENARIOS = [
    "base",
    "bear",
    "bull",
    "capacity-bound",
    "consensus",
    "management-plan",
    "outside-view",
    "outside-view-peers",
]
FORMATS = ["table", "csv", "json"]


def commands() -> list[list[str]]:
    cmds: list[list[str]] = []
    for sc in SCENARIOS:
        for f in FORMATS:
            cmds.append(["run", sc, "-n", "20000", "--seed", "7", "-f", f])
    for f in FORMATS:  # the bundled default (reference growth: gammainccinv, the outside view)
        cmds.append(["run", "-f", f])
        cmds.append(["run", "reference", "-n", "20000", "--seed", "7", "-f", f])
    for f in FORMATS:
        cmds += [
            ["compare", *SCENARIOS, "-n", "5000", "--seed", "3", "-f", f],
            ["sensitivity", "base", "-n", "4000", "--seed", "3", "-f", f],
            ["sensitivity", "bear", "-n", "4000", "--seed", "3", "-f", f],
            [
                "sweep",
                "base",
                "--vary",
                "growth.volatility=0.05:0.25:0.1",
                "-n",
                "4000",
                "--seed",
                "3",
                "-f",
                f,
            ],
            [
                "sweep",
                "base",
                "--vary",
                "growth.volatility=0.05:0.5:0.05",
                "--solve",
                "--level",
                "0.6",
                "-t",
                "750k",
                "-n",
                "4000",
                "--seed",
                "3",
                "-f",
                f,
            ],
            ["fit", "-f", f],
            ["peers", "-f", f],
            ["backtest", "--seed", "3", "--draws", "2000", "-f", f],
            ["backtest", "--seed", "3", "--draws", "2000", "--cases", "-f", f],
            [
                "backtest",
                "-m",
                "scenario",
                "--scenario",
                "base",
                "--seed",
                "3",
                "--draws",
                "2000",
                "-f",
                f,
            ],
            [
                "nowcast",
                "--month",
                "2025-01=25000",
                "--month",
                "2025-02=20000",
                "-n",
                "5000",
                "--seed",
                "3",
                "-f",
                f,
            ],
            ["nowcast", "--backtest", "-n", "2000", "--seed", "3", "-f", f],
            ["history", "-f", f],
            ["history", "--monthly", "-f", f],
            ["history", "--targets", "-f", f],
            ["scenarios", "-f", f],
            ["run", "base", "--seed", "7", "--precision", "0.01", "-f", f],
            ["run", "base", "-n", "20000", "--seed", "7", "--month", "2026-01=40000", "-f", f],
        ]
    cmds += [
        ["run", "base", "-n", "20000", "--seed", "7", "--chart"],
        ["schema"],
        ["validate", "base", "bear"],
        ["fit", "--toml"],
    ]
    return cmds


def run_all() -> dict[str, bytes]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "LINES": "50"}
    out = {}
    for cmd in commands():
        p = subprocess.run(
            [sys.executable, "-m", "leapforecast", *cmd], capture_output=True, env=env, check=False
        )
        out[" ".join(cmd)] = (
            p.stdout + b"\n--stderr--\n" + p.stderr + f"\nrc={p.returncode}".encode()
        )
    return out


def key(cmd: str) -> str:
    return hashlib.sha1(cmd.encode()).hexdigest()[:12]


def main() -> int:
    mode, folder = sys.argv[1], Path(sys.argv[2])
    results = run_all()
    if mode == "record":
        folder.mkdir(parents=True, exist_ok=True)
        for cmd, data in results.items():
            (folder / key(cmd)).write_bytes(cmd.encode() + b"\n" + data)
        print(f"recorded {len(results)} outputs in {folder}")
        return 0
    bad = 0
    for cmd, data in results.items():
        f = folder / key(cmd)
        if not f.exists() or f.read_bytes() != cmd.encode() + b"\n" + data:
            print(f"DIFFERS: {cmd}")
            bad += 1
    print(f"{len(results) - bad} identical, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
