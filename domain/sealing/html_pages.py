"""Safe HTML -> PDF for the pages sealing adds: a sandboxed, autoescaping Jinja2 and a data:-only fetcher.

The values on these pages (names, titles, user agents, event details) come from signers and the
public internet, so every value is escaped and stripped of control characters, templates run in the
Jinja sandbox, and WeasyPrint may fetch nothing but ``data:`` URLs (its default fetcher would embed
local files or call out to the network from inside a legal record).
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """Return ``value`` without control characters (they are invalid in HTML and hide text)."""
    return _CONTROL_CHARS.sub("", value)


class DataOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that refuses every scheme except ``data:``."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)


def sandboxed_template(source: str) -> Template:
    """Compile ``source`` in a sandboxed environment with autoescaping and strict undefined names.

    ``{% trans %}`` blocks are available (whitespace inside them trimmed, as the catalogues hold the
    strings); the caller passes ``gettext``, ``ngettext`` and ``_`` of the reader's language in the context.
    """
    env = SandboxedEnvironment(
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    env.filters["clean"] = clean_text
    return env.from_string(source)


class HtmlPageWriter:
    """Render trusted templates with untrusted values into PDF bytes, reusing one font configuration.

    Keep one instance per worker: WeasyPrint's ``FontConfiguration`` is costly to build and leaks
    memory when rebuilt per document.
    """

    def __init__(self, font_config: FontConfiguration | None = None) -> None:
        self._font_config = font_config or FontConfiguration()

    def write_pdf(self, template: Template, context: dict[str, Any], *, identifier: bytes) -> bytes:
        """Render ``template`` with ``context`` and return the PDF (same input, same bytes)."""
        return self.write(self.layout(template, context), identifier=identifier)

    def layout(self, template: Template, context: dict[str, Any]) -> Document:
        """Lay ``template`` with ``context`` out into pages (count them before writing the PDF)."""
        html = template.render(**context)
        return HTML(string=html, url_fetcher=DataOnlyFetcher()).render(font_config=self._font_config)

    def write(self, document: Document, *, identifier: bytes) -> bytes:
        """Return the PDF of a laid-out document (same input, same bytes)."""
        pdf = document.write_pdf(pdf_identifier=identifier)
        assert pdf is not None  # write_pdf returns bytes when no target is given
        return bytes(pdf)
