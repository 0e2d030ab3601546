"""Benchmark: resident memory of one render worker over many renders (target: < 5 % growth over 500).

The renders run in this process through ``render_with`` over one ``TemplateLibrary``: exactly what a
``PooledRenderer`` worker does between ``_warm_worker`` and its recycling (same warm FontConfiguration,
parsed CSS and compiled layout, PDF and DOCX per job). The samples are rendered in turn; the start RSS
is taken after a warm-up pass (first renders fill font and glyph caches once, which is not a leak),
the end RSS after the last render, both after ``gc.collect()``.

Run: ``.venv/bin/python bench/bench_render_memory.py [--renders 500] [--warmup 20] [--all]``
(default: the notices, 1-2 pages each; ``--all`` cycles every shipped sample, the MSA included).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

from adapters.renderers import render_with
from adapters.template_library import TemplateLibrary
from domain.assembly.context import AssemblyContext, DocumentRef, sample_context
from domain.documents import FileFormat
from domain.render_job import RenderJob
from undersign.settings import REPO_ROOT

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """Return this process's resident set size in MiB (Linux /proc)."""
    gc.collect()
    resident = int(Path("/proc/self/statm").read_text().split()[1])
    return resident * _PAGE / (1024 * 1024)


def jobs(library: TemplateLibrary, *, everything: bool) -> list[tuple[str, dict[str, object]]]:
    """Return (template id, variables) for every sample in scope."""
    ids = [t for t in library.ids() if everything or t.startswith("notices/")]
    return [(t, s.variables) for t in ids for s in library.samples(t)]


def run(renders: int, warmup: int, everything: bool) -> int:
    """Render ``warmup`` then ``renders`` documents; print RSS figures; return 0 if growth < 5 %."""
    library = TemplateLibrary(REPO_ROOT / "templates")
    cold = rss_mib()
    library.pdf_renderer()
    library.docx_renderer()
    work = jobs(library, everything=everything)
    base = sample_context()

    def render(index: int) -> None:
        template_id, variables = work[index % len(work)]
        # A new document id and version each time, as in service use (ids feed the PDF identifier).
        document = DocumentRef(id=f"BENCH-{index:05d}", version=1 + index % 3, date=base.document.date)
        context = AssemblyContext(branding=base.branding, client=base.client, document=document)
        render_with(library, RenderJob(template_id, dict(variables), context, (FileFormat.PDF, FileFormat.DOCX)))

    for index in range(warmup):
        render(index)
    start = rss_mib()
    began = time.perf_counter()
    print(f"{len(work)} samples in turn, PDF + DOCX each; cold {cold:.1f} MiB, after {warmup} warm-up renders")
    print(f"  render    0: {start:7.1f} MiB")
    for index in range(1, renders + 1):
        render(warmup + index)
        if index % 100 == 0 or index == renders:
            per_render = (time.perf_counter() - began) / index * 1000
            print(f"  render {index:4d}: {rss_mib():7.1f} MiB  ({per_render:.0f} ms/render)")
    end = rss_mib()
    growth = (end - start) / start * 100
    print(f"start RSS {start:.1f} MiB, end RSS {end:.1f} MiB, growth {growth:+.2f} % over {renders} renders")
    print("target: growth < 5 %")
    return 0 if growth < 5 else 1


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=500, help="measured renders (default 500)")
    parser.add_argument("--warmup", type=int, default=20, help="renders before the start RSS (default 20)")
    parser.add_argument("--all", action="store_true", help="cycle every shipped sample, not just the notices")
    args = parser.parse_args()
    sys.exit(run(args.renders, args.warmup, args.all))


if __name__ == "__main__":
    main()
