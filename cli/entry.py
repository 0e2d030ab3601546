"""The console script ``undersign``: ``--version`` and ``--help`` answer without loading the commands.

Every other invocation loads the command tree (``cli.main``) and runs it. Help pages are printed in
plain text (no Rich), so the stored top-level page (``cli.help_text``) and the live ones look alike.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run ``undersign`` with the process's arguments."""
    arguments = sys.argv[1:]
    if arguments == ["--version"]:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"undersign {version('undersign')}")
        except PackageNotFoundError:
            print("undersign unknown (not installed)")
        return
    if arguments == ["--help"]:
        from cli.help_text import TOP_LEVEL_HELP

        sys.stdout.write(TOP_LEVEL_HELP)
        return
    os.environ.setdefault("TYPER_USE_RICH", "0")
    from cli.main import main as run_command_tree

    run_command_tree()
