"""Sealing keeps a PDF/A-3b document PDF/A-3b: version 1.7, producers that agree, each attachment once in /AF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from weasyprint import HTML, Attachment

from domain.sealing.completion import Completer
from domain.sealing.completion_certificate import CompletionRecord
from domain.sealing.pdfa import pdfa_facts
from domain.sealing.stamping import SignatureStamp


def pdfa_sent_pdf() -> bytes:
    """Render a PDF/A-3b letter with its input data attached, as the document renderer does."""
    html = "<!doctype html><html lang='en'><body><h1>Letter</h1><p>The client declines MFA.</p></body></html>"
    pdf = HTML(string=html).write_pdf(
        pdf_variant="pdf/a-3b",
        pdf_identifier=b"pdfa-fixture",
        attachments=[Attachment(string='{"risk": "mfa"}', name="input.json", relationship="Data")],
    )
    assert pdf is not None
    return bytes(pdf)


class TestSealedFileStaysPdfA:
    def test_sealed_pdfa_input_keeps_pdfa_facts(
        self,
        completer: Completer,
        stamps: tuple[SignatureStamp, SignatureStamp],
        record_factory: Callable[..., CompletionRecord],
        now: datetime,
    ) -> None:
        """The ECDSA seal no longer raises the file to PDF 2.0, producers agree and /AF lists the input once."""
        sent = pdfa_sent_pdf()
        before = pdfa_facts(sent)
        assert (before.pdfa_part, before.pdfa_conformance, before.embedded_files) == ("3", "B", 1)
        sealed = completer.complete(sent, [], record_factory(pdf=sent), sealed_at=now).pdf
        assert sealed.startswith(sent)
        after = pdfa_facts(sealed)
        assert after.problems == [], after
        assert after.catalog_version is None and after.header_version == "1.7"
        assert after.info_producer == after.xmp_producer and after.af_entries == 1
