"""Rewrite the settings table in README.md from the Settings model (run after adding a setting)."""

from __future__ import annotations

import re

from tools.settings_table import rows
from undersign.settings import REPO_ROOT


def table() -> str:
    """Return the settings table as Markdown."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{variable}` | `{default}` | {meaning} |" for variable, default, meaning in rows()]
    return "\n".join(lines)


if __name__ == "__main__":
    readme = REPO_ROOT / "README.md"
    text = readme.read_text()
    pattern = r"\| variable \| default \| meaning \|\n\|---\|---\|---\|\n(?:\|.*\|\n)+"
    updated = re.sub(pattern, table() + "\n", text, count=1)
    readme.write_text(updated)
