"""Write a benchmark's figures into the README between its markers, so the README quotes the script's output.

A block looks like ``<!-- figures: NAME -->`` ... ``<!-- /figures: NAME -->``; ``update_readme(NAME, text)``
replaces what is between the two markers with ``text`` in a fenced block and leaves everything else
as it is. A README without the markers is left alone and the call says so.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def load_average() -> str:
    """Return the 1-minute load average and the core count, e.g. ``3.12 on 2 cores``."""
    return f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def update_readme(name: str, text: str, readme: Path = README) -> bool:
    """Replace the figures block ``name`` in ``readme`` with ``text``; return whether the block was found."""
    start, end = f"<!-- figures: {name} -->", f"<!-- /figures: {name} -->"
    source = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(source):
        print(f"README has no '{start}' block; figures not written")
        return False
    block = f"{start}\n```text\n{text.rstrip()}\n```\n{end}"
    readme.write_text(pattern.sub(lambda _match: block, source, count=1), encoding="utf-8")
    return True
