"""The reading view: the document a signer is asked to sign, as text that reflows to any screen.

It is assembled again from the source the PDF was made from: the template version and the input
data recorded with the document version, through the same clause assembly and the same HTML
writer the PDF renderer lays out. Before it is shown, every assembled clause's id, version and
SHA-256 must equal the clause records stored with the version (those of the PDF): otherwise the
text could differ from what is signed, and no reading view is offered (the page images and the PDF
remain). The HTML's own SHA-256 is recorded with its delivery.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from domain.assembly.assemble import assemble
from domain.assembly.context import DocumentRef
from domain.documents import context_from_snapshot
from domain.envelopes import Envelope
from domain.errors import UndersignError
from domain.ports import DocumentRenderer, DocumentRepository, TemplateCatalog

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)


@dataclass(frozen=True)
class ReadingCopy:
    """The reading view of a sent document version, and what proves it is the PDF's text."""

    html: str  # the whole page as the HTML writer made it (what the hash covers)
    body: str  # its body, shown inside the signing page's own layout
    sha256: str
    template_id: str
    template_version: str
    clauses: int  # how many clauses matched the PDF's clause records (id, version, SHA-256)


class ReadingCopies:
    """Builds the reading view of an envelope's document version from its recorded source."""

    def __init__(self, templates: TemplateCatalog, documents: DocumentRepository, renderer: DocumentRenderer) -> None:
        self._templates = templates
        self._documents = documents
        self._renderer = renderer

    def for_envelope(self, envelope: Envelope) -> ReadingCopy | None:
        """Return the reading view of the envelope's version, or ``None`` when it cannot be the same text."""
        version = self._documents.get_version(envelope.document_id, envelope.version)
        if version is None:
            return None
        try:
            manifest = self._templates.get(version.template_id)
        except UndersignError:
            return None
        if manifest.version != version.template_version:
            return None  # the library moved on: this text could differ from the PDF's
        context = context_from_snapshot(
            version.context,
            DocumentRef(
                id=version.document_id,
                version=version.version,
                date=version.document_date,
                created_at=version.created_at,
            ),
        )
        try:
            document = assemble(manifest, dict(version.variables), context)
        except UndersignError:
            return None
        if tuple(c.record() for c in document.clauses) != tuple(version.clauses):
            return None
        html = self._renderer.html(document)
        found = _BODY.search(html)
        if found is None:
            return None
        return ReadingCopy(
            html=html,
            body=found.group(1),
            sha256=hashlib.sha256(html.encode("utf-8")).hexdigest(),
            template_id=manifest.id,
            template_version=manifest.version,
            clauses=len(document.clauses),
        )
