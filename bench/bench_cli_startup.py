"""Benchmark: how long the ``undersign`` command takes to answer, against a bare Python start.

The command line imports its heavy libraries (SQLAlchemy, WeasyPrint, pyHanko, boto3) only inside
the commands that use them, so ``--version`` and ``--help`` should cost little more than starting
Python itself. Each round runs, interleaved, ``python -c pass`` (the floor), ``undersign --version``,
``undersign --help`` and ``python -c "import undersign.runtime"`` (what every command used to pay
before it could print anything), and reports CPU time (user + system, from ``wait4``) so that other
load on the machine does not blur the figures. The ratios are against ``python -c pass`` in the same
venv and against a bare Typer application printing its help (the raw library doing the same work).
Targets: ``--help`` within 5x of ``python -c pass``; ``keys list`` (which opens the database) well under
a second of CPU. ``--help`` and ``--version`` answer from ``cli.entry`` without loading the commands.

Run: ``.venv/bin/python bench/bench_cli_startup.py [--rounds 7]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
# The raw library doing the same work: Typer parsing a command line and printing a help page.
_BARE_TYPER = "import sys, typer; app = typer.Typer(); app.command()(lambda: None); app()"
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "bare Typer --help": [sys.executable, "-c", _BARE_TYPER, "--help"],
    "undersign --version": [str(BIN / "undersign"), "--version"],
    "undersign --help": [str(BIN / "undersign"), "--help"],
    "import undersign.runtime": [sys.executable, "-c", "import undersign.runtime"],
}
_DATA = tempfile.mkdtemp(prefix="undersign-bench-cli-")
# ``keys list`` opens the SQLite database of a data folder (made once, before the rounds).
CASES["undersign keys list"] = [str(BIN / "undersign"), "keys", "list", "--data-dir", _DATA]


def cpu_seconds(command: list[str]) -> float:
    """Run ``command`` to completion and return the CPU seconds it used (user + system)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the rounds and print medians and ratios to the floor."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    subprocess.run([str(BIN / "undersign"), "db", "upgrade", "--data-dir", _DATA], check=True, capture_output=True)
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for command in CASES.values():  # warm the file cache once
        cpu_seconds(command)
    for _ in range(args.rounds):
        for name, command in CASES.items():
            samples[name].append(cpu_seconds(command))
    floor = statistics.median(samples["python -c pass"])
    typer_help = statistics.median(samples["bare Typer --help"])
    print(f"{'command':28} {'CPU s (median)':>15} {'x python -c pass':>17} {'x bare Typer --help':>20}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:28} {median:15.3f} {median / floor:17.1f} {median / typer_help:20.2f}")


if __name__ == "__main__":
    main()
