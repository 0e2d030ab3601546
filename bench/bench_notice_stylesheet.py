"""Benchmark: what each print-stylesheet choice costs raw WeasyPrint on our final notice, one at a time.

The notice HTML is what our layout makes for the final notice (``bench_dunning_notices.notice_html``).
Each variant changes one thing in that HTML or in the print stylesheet (or one ``write_pdf`` option)
and is rendered by WeasyPrint alone, in this process, with a reused ``FontConfiguration`` and a
pre-parsed stylesheet per variant. Variants are measured in interleaved rounds (the order rotates each
round, so load on the shared machine hits all alike); in each round a variant renders ``--renders`` times
in a row and keeps its fastest render (other load only ever adds time); the figure is the median over
the rounds of that CPU time per notice, split
into layout (``HTML.render``) and PDF writing (drawing, font subsetting, serialising), and the ratio
to the baseline. A ratio under 1 means the choice costs that share of the baseline: 0.80 = removing it
saves 20%.

Two baselines (``--stylesheet``): ``shared`` takes each choice of ``print.css`` (the stylesheet of
contracts, and of notices before) out on its own; ``notice`` starts from ``print-letter.css`` (the lean
stylesheet notices use, chosen from the ``shared`` figures) and puts each dropped choice back on its own
(a ratio over 1 is what that choice would cost). Both need the notice HTML of the matching layout, so
``notice`` renders the HTML of a notice and ``shared`` the same notice as a contract-style page.

Run: ``.venv/bin/python bench/bench_notice_stylesheet.py [--rounds 5] [--renders 8] [--stylesheet notice]``
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench_dunning_notices import notice_html
from readme_figures import load_average, update_readme
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from undersign.settings import REPO_ROOT

SHARED = REPO_ROOT / "templates" / "_shared"


@dataclass
class Variant:
    """One choice taken out: how it changes the HTML, the stylesheet or the ``write_pdf`` options."""

    name: str
    html: Callable[[str], str] = lambda html: html
    css: Callable[[str], str] = lambda css: css
    options: dict[str, Any] = field(default_factory=dict)
    layout: list[float] = field(default_factory=list)
    write: list[float] = field(default_factory=list)


def _sub(pattern: str, replacement: str, flags: int = re.DOTALL) -> Callable[[str], str]:
    compiled = re.compile(pattern, flags)

    def apply(text: str) -> str:
        result, count = compiled.subn(replacement, text)
        return result if count else text

    return apply


def _chain(*steps: Callable[[str], str]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return apply


_NO_MARGIN_BOXES = (
    "\n@page { @top-left { content: none } @bottom-left { content: none } @bottom-center { content: none }"
    " @bottom-right { content: none } }\n@page notice { @top-left { content: none } @bottom-left { content: none }"
    " @bottom-center { content: none } @bottom-right { content: none } }\n"
    ".running-header { position: static !important; margin-bottom: 4mm; }\n"
)

_LEAN_LETTER = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Letter</title>
<style>@page { size: letter; margin: 20mm } body { font: 10pt/1.4 serif }</style></head><body>{body}</body></html>"""


def _lean_letter(html: str) -> str:
    # The same words with no classes, no header, no tables: what "a lean letter" means in the issue.
    body = re.search(r"<body[^>]*>(.*)</body>", html, re.DOTALL)
    text = re.sub(r"<(?!/?(p|h1|h2|ol|li|strong)\b)[^>]+>", " ", body.group(1) if body else "")
    return _LEAN_LETTER.replace("{body}", text)


def shared_variants() -> list[Variant]:
    """Return the choices of the shared stylesheet (``print.css``), each taken out on its own."""
    return [
        Variant("baseline: print.css (contracts' sheet)"),
        Variant("+ as filed: PDF/A-3b, identifier", options=_FILED),
        Variant("- margin boxes (running header, page x of y, draft)", css=lambda css: css + _NO_MARGIN_BOXES),
        Variant("- 'of N' (counter(pages)) only", css=lambda css: css.replace('" of " counter(pages)', "")),
        Variant("- draft mark margin box only", html=_NO_DRAFT_BOX),
        Variant(
            "- second family (all DejaVu Serif)",
            css=lambda css: css.replace('"DejaVu Sans", sans-serif', '"DejaVu Serif", serif'),
        ),
        Variant(
            "- second family (all DejaVu Sans)",
            css=_chain(
                lambda css: css.replace('"DejaVu Serif", "Liberation Serif", serif', '"DejaVu Sans", sans-serif'),
                lambda css: css.replace('"DejaVu Serif", serif', '"DejaVu Sans", sans-serif'),
            ),
        ),
        Variant(
            "Liberation Serif/Sans instead of DejaVu",
            css=lambda css: css.replace("DejaVu Serif", "Liberation Serif").replace("DejaVu Sans", "Liberation Sans"),
        ),
        Variant(
            "- justification and hyphenation",
            css=lambda css: css + "\n.clause p, p { text-align: left !important; hyphens: manual !important; }\n",
        ),
        Variant(
            "- hyphenation only (still justified)",
            css=lambda css: css + "\n.clause p, p { hyphens: manual !important; }\n",
        ),
        Variant(
            "- metadata table (as lines)",
            html=_sub(r'<table class="doc-meta">(.*?)</table>', '<p class="doc-meta">\\1</p>'),
        ),
        Variant("- draft banner", html=_sub(r'<div class="draft-banner">.*?</div>', "")),
        Variant("- header and metadata markup", html=_sub(r"<header.*?</table>", "<h1>Final notice</h1>")),
        Variant("- font subsetting (full fonts)", options={"full_fonts": True}),
        Variant("lean letter (same words, minimal CSS)", html=_lean_letter, css=lambda _css: ""),
    ]


def notice_variants() -> list[Variant]:
    """Return the choices of the notices' lean stylesheet (``print-letter.css``), each put back or taken out."""
    return [
        Variant("baseline: print-letter.css (notices' sheet)"),
        Variant("+ as filed: PDF/A-3b, identifier", options=_FILED),
        Variant("- footer margin boxes", css=lambda css: css + _NO_MARGIN_BOXES),
        Variant("- 'of N' (counter(pages))", css=lambda css: css.replace('" of " counter(pages)', "")),
        Variant("- draft mark margin box", html=_NO_DRAFT_BOX),
        Variant(
            "+ letterhead as running header on every page",
            css=lambda css: (
                css + "\n@page { margin-top: 28mm; @top-left { content: element(header) } }\n"
                ".running-header { position: running(header); }\n"
            ),
        ),
        Variant("+ second family (serif body)", css=lambda css: css + "\np, li { font-family: 'Liberation Serif'; }\n"),
        Variant(
            "DejaVu Sans instead of Liberation Sans",
            css=lambda css: css.replace('"Liberation Sans", "DejaVu Sans"', '"DejaVu Sans"').replace(
                '"Liberation Sans"', '"DejaVu Sans"'
            ),
        ),
        Variant("+ justification", css=lambda css: css + "\n.clause p { text-align: justify; }\n"),
        Variant(
            "+ justification and hyphenation",
            css=lambda css: css + "\n.clause p { text-align: justify; hyphens: auto; }\n",
        ),
        Variant(
            "+ metadata as a table",
            html=_sub(
                r'<p class="doc-meta">.*?</p>',
                '<table class="doc-meta"><tr><th>Client</th><td>Client 0 Ltd.</td></tr><tr><th>Date</th><td>1 April'
                ' 2026</td></tr><tr><th>Reference</th><td class="doc-ref">bench</td></tr></table>',
            ),
        ),
        Variant(
            "+ collapsed cell borders and header shading",
            css=lambda css: (
                css + "\n.clause table { border-collapse: collapse; }\n"
                ".clause th, .clause td { border: 0.5pt solid #888; } .clause th { background: #eef2f6; }\n"
            ),
        ),
        Variant("- draft banner", html=_sub(r'<div class="draft-banner">.*?</div>', "")),
        Variant("- font subsetting (full fonts)", options={"full_fonts": True}),
        Variant(
            "shared print.css and layout instead (before)",
            html=contract_style_html,
            css=lambda _css: (SHARED / "print.css").read_text("utf-8"),
        ),
        Variant("lean letter (same words, minimal CSS)", html=_lean_letter, css=lambda _css: ""),
    ]


def contract_style_html(html: str) -> str:
    """Return the notice HTML as the shared layout writes it for other kinds (details table, centred draft mark)."""
    html = html.replace("@bottom-right {", "@bottom-center {")
    return _sub(
        r'<p class="doc-meta">.*?Client:</span> (.*?)<br>.*?Date:</span> (.*?)<br>'
        r'.*?<span class="doc-ref">(.*?)</span></p>',
        '<table class="doc-meta"><tr><th>Client</th><td>\\1</td></tr><tr><th>Date</th><td>\\2</td></tr>'
        '<tr><th>Reference</th><td class="doc-ref">\\3</td></tr></table>',
    )(html)


_FILED: dict[str, Any] = {"pdf_variant": "pdf/a-3b", "pdf_identifier": b"x" * 32}
_NO_DRAFT_BOX = _sub(r'@page \{ @bottom-[a-z]+ \{ content: "[^"]*"; \} \}', "")


def _prepare(variant: Variant, html: str, css: str) -> tuple[str, CSS | None, FontConfiguration]:
    fonts = FontConfiguration()
    source = variant.css(css)
    sheet = CSS(string=source, font_config=fonts) if source.strip() else None
    return variant.html(html), sheet, fonts


def _once(html: str, sheet: CSS | None, fonts: FontConfiguration, options: dict[str, Any]) -> tuple[float, float]:
    sheets = [sheet] if sheet is not None else []
    gc.collect()  # each render starts from a clean heap, so no variant pays for another's garbage
    # CPU time of this (single-threaded) process: what a core spends, less disturbed by other load.
    started = time.process_time()
    document = HTML(string=html).render(stylesheets=sheets, font_config=fonts, **options)
    laid_out = time.process_time()
    document.write_pdf(**options)
    return laid_out - started, time.process_time() - laid_out


def stylesheet(name: str) -> str:
    """Return the print stylesheet ``name`` (``shared``: print.css, ``notice``: print-letter.css)."""
    return (SHARED / ("print-letter.css" if name == "notice" else "print.css")).read_text(encoding="utf-8")


def main() -> None:
    """Measure every variant in interleaved rounds and print per-choice cost ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--renders", type=int, default=8, help="renders per variant per round")
    parser.add_argument("--stylesheet", choices=("shared", "notice"), default="notice")
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    args = parser.parse_args()
    load_start = load_average()
    html, css = notice_html(), stylesheet(args.stylesheet)
    if args.stylesheet == "shared":
        html = contract_style_html(html)
    measured = notice_variants() if args.stylesheet == "notice" else shared_variants()
    prepared = {v.name: _prepare(v, html, css) for v in measured}
    for variant in measured:  # warm: fonts found, hyphenation dictionaries loaded
        _once(*prepared[variant.name], variant.options)
    for index in range(args.rounds):
        shift = (index * len(measured)) // args.rounds  # each variant runs early in some rounds, late in others
        for variant in measured[shift:] + measured[:shift]:
            # The fastest of a few renders in a row: on a shared machine, other load only ever adds time.
            runs = [_once(*prepared[variant.name], variant.options) for _ in range(args.renders)]
            layout, write = min(runs, key=sum)
            variant.layout.append(layout)
            variant.write.append(write)
    base = measured[0]
    base_total = statistics.median(a + b for a, b in zip(base.layout, base.write, strict=True))
    lines = [
        f"raw WeasyPrint, final notice, '{args.stylesheet}' stylesheet: CPU time per notice, median of "
        f"{args.rounds} interleaved rounds of the fastest of {args.renders} renders",
        f"load average: {load_start} at start, {{end}} at end",
        f"{'variant':54s} {'layout':>8s} {'pdf':>8s} {'total':>8s} {'ratio':>6s}",
    ]
    for variant in measured:
        total = statistics.median(a + b for a, b in zip(variant.layout, variant.write, strict=True))
        lines.append(
            f"{variant.name:54s} {statistics.median(variant.layout) * 1000:6.1f}ms "
            f"{statistics.median(variant.write) * 1000:6.1f}ms {total * 1000:6.1f}ms {total / base_total:6.2f}"
        )
    text = "\n".join(lines).replace("{end}", load_average())
    print(text)
    if args.readme:
        update_readme(f"bench_notice_stylesheet_{args.stylesheet}", text)


if __name__ == "__main__":
    main()
