"""The console script's quick answers: the stored top-level help is the live one, and --version needs no tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli.help_text import TOP_LEVEL_HELP
from tools.update_cli_help import live_help

SCRIPT = Path(sys.executable).parent / "undersign"


class TestEntry:
    def test_stored_help_is_what_the_command_tree_prints(self) -> None:
        """`undersign --help` (stored) equals the help the commands render; else run tools/update_cli_help.py."""
        assert live_help() == TOP_LEVEL_HELP, "the stored help is stale: run .venv/bin/python tools/update_cli_help.py"

    def test_help_and_version_do_not_load_the_commands(self) -> None:
        """--help and --version answer without importing Typer or any command module."""
        code = (
            "import sys; from cli.entry import main; sys.argv = ['undersign', '{arg}']; main(); "
            "loaded = [m for m in sys.modules if m == 'typer' or m.startswith(('cli.main', 'sqlalchemy'))]; "
            "sys.stderr.write(repr(loaded))"
        )
        for arg in ("--help", "--version"):
            result = subprocess.run(
                [sys.executable, "-c", code.format(arg=arg)], capture_output=True, text=True, env=dict(os.environ)
            )
            assert result.returncode == 0, result.stderr
            assert result.stderr == "[]", f"{arg} loaded {result.stderr}"
            assert result.stdout.startswith("Usage: undersign" if arg == "--help" else "undersign ")

    def test_other_commands_still_reach_the_tree(self) -> None:
        """A subcommand's help comes from the command tree, in plain text."""
        result = subprocess.run([str(SCRIPT), "keys", "--help"], capture_output=True, text=True)
        assert result.returncode == 0 and "create" in result.stdout and "revoke" in result.stdout
