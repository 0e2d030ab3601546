"""The clause Markdown dialect: parsing rendered clause text into the one token stream both writers use.

CommonMark + GFM tables, with every construct that could reference something outside the document
switched off: raw HTML, links, images, autolinks and link reference definitions are not parsed (their
source shows as text). Code spans/blocks, block quotes and rules are off too: contracts do not need
them and each writer would otherwise have to support them. Headings inside a clause become
sub-headings (the layout prints the clause title itself).
"""

from __future__ import annotations

import functools

from markdown_it import MarkdownIt
from markdown_it.token import Token

_DISABLED = [
    "code",
    "fence",
    "blockquote",
    "hr",
    "reference",
    "html_block",
    "backticks",
    "link",
    "image",
    "autolink",
    "html_inline",
]


@functools.cache
def clause_parser() -> MarkdownIt:
    """Return the process-wide parser for the clause dialect."""
    return (
        # Typographic quotes (smartquotes) but no other "typographer" replacements: "(c)" or "--" in a
        # clause or a client's value stays exactly as typed.
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
        .enable(["table", "smartquotes"])
        .disable(_DISABLED)
    )


@functools.lru_cache(maxsize=256)
def _parse_cached(source: str) -> tuple[Token, ...]:
    tokens = clause_parser().parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = "h4"
    return tuple(tokens)


def parse_clause_markdown(source: str) -> list[Token]:
    """Parse rendered clause Markdown into block tokens (inline tokens carry ``children``).

    markdown-it-py is pure Python and parsing is most of the cost of assembling a contract (~40 ms
    for an MSA, paid in the API process and again in the render worker), while most clause text is
    boilerplate that renders the same for every client. Results are kept per rendered text in a small
    bounded cache (256 clauses, a few MB), so the returned tokens may be shared: treat them as read-only.
    """
    return list(_parse_cached(source))


def plain_text(tokens: list[Token]) -> str:
    """Return the visible text of a token stream: one line per paragraph, heading, list item or row.

    Table cells are separated by `` | ``; list items start with their marker (``1.`` or ``-``). This is
    the text the redline compares and that tests find in the PDF and DOCX.
    """
    lines: list[str] = []
    current: list[str] = []
    counters: list[int | None] = []
    for token in tokens:
        if token.type == "ordered_list_open":
            counters.append(int(token.attrGet("start") or 1))
        elif token.type == "bullet_list_open":
            counters.append(None)
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            counters.pop()
        elif token.type == "list_item_open":
            number = counters[-1]
            current.append(f"{number}. " if number is not None else "- ")
            if number is not None:
                counters[-1] = number + 1
        elif token.type == "inline":
            current.append(inline_text(token))
        elif token.type in ("th_close", "td_close"):
            current.append(" | ")
        elif token.type in ("paragraph_close", "heading_close", "tr_close", "list_item_close"):
            line = "".join(current)
            line = (line.removesuffix(" | ") if token.type == "tr_close" else line).strip()
            if line:
                lines.append(line)
            current = []
    return "\n".join(lines)


def inline_text(token: Token) -> str:
    """Return the text of an inline token, with soft and hard breaks as spaces."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)
