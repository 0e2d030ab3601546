"""Completing an envelope's document: stamp the signatures, append the certificate, seal.

The three steps always run in this order and always on the bytes that were sent: a record whose
"SHA-256 at send" does not match the bytes handed in is refused, because a certificate vouching for
one document must never be sealed onto another.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree
from weasyprint.text.fonts import FontConfiguration

from domain.errors import Conflict, FieldError, InvalidInput
from domain.languages import DEFAULT_LANGUAGE, ENGLISH, Translator
from domain.sealing.archive import next_archive_due
from domain.sealing.completion_certificate import CertificateRenderer, CompletionRecord
from domain.sealing.seal import Sealer, SealMetadata
from domain.sealing.stamping import (
    SentDocument,
    SignatureStamp,
    graft_pages,
    open_sent,
    paint_overlay,
    plan_overlay,
)

# Re-archive this long before the newest timestamp's certificates expire (the TSA may be down for a while).
DEFAULT_ARCHIVE_MARGIN = timedelta(days=90)


@dataclass(frozen=True)
class SealedDocument:
    """The sealed file and the two hashes the audit trail records for it."""

    pdf: bytes
    sha256: str
    sent_sha256: str


def _page_count(writer: IncrementalPdfFileWriter) -> int:
    try:
        return int(writer.root["/Pages"]["/Count"])
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("The sent document is not a readable PDF.", errors=[FieldError("pdf", str(exc))]) from exc


def _last_page_size(writer: IncrementalPdfFileWriter, count: int) -> tuple[float, float]:
    try:
        page_ref, _ = writer.find_page_for_modification(count - 1)
        box = [float(v) for v in find_inherited_value_in_tree(page_ref.get_object(), "/MediaBox", "/Parent")]
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("The sent document is not a readable PDF.", errors=[FieldError("pdf", str(exc))]) from exc
    return abs(box[2] - box[0]), abs(box[3] - box[1])


class Completer:
    """Stamps, certifies and seals sent documents; build one per worker and reuse it."""

    def __init__(
        self,
        sealer: Sealer,
        *,
        font_config: FontConfiguration | None = None,
        archive_margin: timedelta = DEFAULT_ARCHIVE_MARGIN,
    ) -> None:
        font_config = font_config or FontConfiguration()
        self._sealer = sealer
        self._archive_margin = archive_margin
        self._certificates = CertificateRenderer(font_config)
        # WeasyPrint and its font configuration are not made for concurrent use from threads; only the
        # layout is serialised (sealing, and waiting for a timestamp authority, run in parallel).
        self._render_lock = threading.Lock()

    def archive_due(self, sealed_pdf: bytes, now: datetime) -> datetime | None:
        """Return when ``sealed_pdf`` needs its next archive timestamp (``None`` unless seals are long-term)."""
        if not self._sealer.long_term:
            return None
        return next_archive_due(sealed_pdf, now, self._archive_margin)

    def add_archive_timestamp(self, pdf: bytes) -> bytes:
        """Return ``pdf`` with validation data and a fresh archive timestamp appended (B-LTA upkeep)."""
        return self._sealer.add_archive_timestamp(pdf)

    @property
    def sealer(self) -> Sealer:
        """The sealer this completer seals with (also used to add archive timestamps later)."""
        return self._sealer

    def complete(
        self,
        sent: bytes | SentDocument,
        stamps: Sequence[SignatureStamp],
        record: CompletionRecord,
        *,
        sealed_at: datetime,
        translator: Translator = ENGLISH,
        language: str = DEFAULT_LANGUAGE,
    ) -> SealedDocument:
        """Return the sealed document: revision 1 = ``sent_pdf``, then one revision with stamps, certificate and seal.

        ``sent`` is the sent file, or the :class:`SentDocument` the caller parsed it into already (to
        read its page sizes); it is used once. Raises ``Conflict`` if ``record.sent_sha256`` is not the
        hash of the sent bytes and ``TimestampUnavailable`` if a configured TSA fails (nothing is
        produced then).
        """
        sent_pdf = sent.pdf if isinstance(sent, SentDocument) else sent
        sent_sha256 = hashlib.sha256(sent_pdf).hexdigest()
        if sent_sha256 != record.sent_sha256:
            raise Conflict(
                "The document handed in for completion is not the one that was sent.",
                errors=[FieldError("sent_sha256", "does not match the bytes of the sent document")],
            )
        if not record.seal_profile:
            record = replace(record, seal_profile=self._sealer.profile)
        # The sent bytes are parsed once: page count, page sizes, the stamps and the seal share one writer,
        # and stamps, certificate and seal are written as one incremental update.
        writer = sent.writer if isinstance(sent, SentDocument) else open_sent(sent_pdf)
        count = _page_count(writer)
        plan = plan_overlay(writer, stamps)
        with self._render_lock:
            # Stamps and certificate are one WeasyPrint document: one layout, one PDF to import.
            pages = self._certificates.render(
                replace(record, first_page=count + 1),
                page_size=_last_page_size(writer, count),
                translator=translator,
                language=language,
                overlay=plan if stamps else None,
            )
        opened = [writer]

        def prepare() -> IncrementalPdfFileWriter:
            # The writer parsed above, or (when the seal is retried with more room) a fresh one.
            target = opened.pop() if opened else open_sent(sent_pdf)
            paint_overlay(target, plan, graft_pages(target, pages, forms=len(plan.sheets)))
            return target

        metadata = SealMetadata(
            envelope_id=record.envelope_id,
            document_id=record.document_id,
            document_version=record.document_version,
            sent_sha256=sent_sha256,
            sent_length=len(sent_pdf),
        )
        sealed = self._sealer.seal_update(prepare, metadata, sealed_at=sealed_at)
        return SealedDocument(pdf=sealed, sha256=hashlib.sha256(sealed).hexdigest(), sent_sha256=sent_sha256)
