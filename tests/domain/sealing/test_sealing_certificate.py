"""Tests for the certificate of completion page(s)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint.text.fonts import FontConfiguration

from domain.errors import InvalidInput
from domain.sealing.completion_certificate import CertificateRenderer, CompletionRecord, EventRecord


@pytest.fixture(scope="module")
def renderer(font_config: FontConfiguration) -> CertificateRenderer:
    """A renderer sharing the run's font configuration."""
    return CertificateRenderer(font_config)


def _text(renderer: CertificateRenderer, record: CompletionRecord, tmp_path: Path, pdftext: Callable[..., str]) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(renderer.render(record))
    return " ".join(pdftext(path).split())


class TestCertificateContent:
    def test_names_envelope_document_version_template_and_sent_hash(
        self, renderer: CertificateRenderer, record: CompletionRecord, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """The page states envelope id, document id and version, template id and version and the sent SHA-256."""
        text = _text(renderer, record, tmp_path, pdftext)
        for value in ("env-7f3a", "doc-42 (version 3)", "msa (version 2.1.0)", record.sent_sha256):
            assert value in text

    def test_states_where_the_final_hash_is_recorded(
        self, renderer: CertificateRenderer, record: CompletionRecord, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """The page explains that the final file's hash lives in the audit trail and the seal."""
        text = _text(renderer, record, tmp_path, pdftext)
        assert "recorded in the envelope's audit trail" in text
        assert "Revision 1 of this PDF file is, byte for byte, the document sent" in text

    def test_lists_every_signer_with_the_evidence(
        self, renderer: CertificateRenderer, record: CompletionRecord, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """Each signer's name, email, title, attestation, auth method, consent version and IP are shown; no UA."""
        text = _text(renderer, record, tmp_path, pdftext)
        for signer in record.signers:
            for value in (
                signer.name,
                signer.email,
                signer.title,
                signer.authority_attestation,
                signer.auth_method,
                f"version {signer.consent_version}",
                signer.ip,
                signer.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            ):
                assert value in text, value
        # Browser details are request tooling: kept in the audit trail and evidence bundle, not shown.
        assert "Firefox/128.0" not in text

    def test_lists_every_event(
        self, renderer: CertificateRenderer, record: CompletionRecord, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """Every event appears (an unknown code as "Recorded: <code>"), in UTC."""
        text = _text(renderer, record, tmp_path, pdftext)
        for event in record.events:
            assert f"Recorded: {event.action}" in text
            assert event.at.strftime("%Y-%m-%d %H:%M:%S UTC") in text

    def test_long_event_lists_flow_onto_more_pages(
        self, renderer: CertificateRenderer, record_factory: Callable[..., CompletionRecord]
    ) -> None:
        """A long event list makes a multi-page certificate rather than being cut off."""
        pdf = renderer.render(record_factory(events=80))
        assert int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"]) >= 2

    def test_page_size_follows_the_argument(self, renderer: CertificateRenderer, record: CompletionRecord) -> None:
        """The certificate is rendered at the page size asked for (e.g. US Letter)."""
        pdf = renderer.render(record, page_size=(612.0, 792.0))
        page = PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Kids"][0].get_object()
        assert [round(float(v)) for v in page["/MediaBox"]] == [0, 0, 612, 792]

    def test_same_record_renders_the_same_bytes(self, renderer: CertificateRenderer, record: CompletionRecord) -> None:
        """Rendering is deterministic, so a re-seal after a TSA outage reproduces the same page."""
        assert renderer.render(record) == renderer.render(record)


class TestCertificateEscaping:
    def test_values_are_escaped_and_control_characters_dropped(
        self, renderer: CertificateRenderer, record: CompletionRecord, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """Markup in signer values is printed literally; a style tag cannot hide content."""
        signer = replace(
            record.signers[0],
            name="<style>body{display:none}</style>Mallory",
            title="curl/8 \x1b[31m<script>alert(1)</script>",
        )
        hostile = replace(
            record,
            issuer="<i>x</i>",
            signers=(signer, *record.signers[1:]),
            events=(EventRecord(at=record.completed_at, actor="key:ops", action="signed & sealed"),),
        )
        text = _text(renderer, hostile, tmp_path, pdftext)
        assert "<style>body{display:none}</style>Mallory" in text
        assert "<script>alert(1)</script>" in text
        assert "signed & sealed" in text and "<i>x</i>" in text
        assert "\x1b" not in text
        assert record.sent_sha256 in text  # the rest of the page still renders


class TestCompletionRecord:
    def test_bad_hash_is_refused(self, record: CompletionRecord) -> None:
        """A sent hash that is not 64 lowercase hex digits is refused."""
        with pytest.raises(InvalidInput):
            replace(record, sent_sha256="ABC")

    def test_no_signers_is_refused(self, record: CompletionRecord) -> None:
        """A certificate of completion needs at least one signer."""
        with pytest.raises(InvalidInput):
            replace(record, signers=())

    def test_naive_times_are_refused(self, renderer: CertificateRenderer, record: CompletionRecord) -> None:
        """Times without a zone are refused rather than printed as if UTC."""
        naive = replace(record, completed_at=record.completed_at.replace(tzinfo=None))
        with pytest.raises(ValueError, match="timezone-aware"):
            renderer.render(naive)


class TestPlainCertificate:
    def test_issued_by_the_msp_in_plain_words_with_people(
        self, renderer: CertificateRenderer, record: CompletionRecord, tmp_path: Path, pdftext: Callable[..., str]
    ) -> None:
        """The MSP issues it; events read as plain sentences by people, never codes, key names or user agents."""
        events = (
            EventRecord(at=record.sent_at, actor="key:sales-bot(sales)", action="envelope.created"),
            EventRecord(at=record.sent_at, actor="Alice Client", action="signer.delivered", user_agent="curl/7.88.1"),
            EventRecord(at=record.sent_at, actor="Alice Client", action="signer.opened", ip="203.0.113.7"),
            EventRecord(at=record.sent_at, actor="Alice Client", action="signer.consented"),
            EventRecord(at=record.completed_at, actor="system:undersign", action="envelope.completed"),
        )
        plain = replace(record, issuer="Acme IT Services Ltd", events=events)
        text = _text(renderer, plain, tmp_path, pdftext)
        assert "Issued by Acme IT Services Ltd" in text and "undersign" not in text.replace("\n", " ")
        for words in ("Opened the signing link", "Agreed to do business electronically", "All parties signed"):
            assert words in text
        assert "Acme IT Services Ltd: Prepared the document for signature" in text
        for internal in ("signer.delivered", "envelope.created", "sales-bot", "curl/7.88.1", "key:"):
            assert internal not in text

    def test_pages_are_numbered_as_part_of_the_whole_file(
        self, renderer: CertificateRenderer, record_factory: Callable[..., CompletionRecord]
    ) -> None:
        """A certificate after an 11-page document numbers its pages 12 and 13 of 13."""
        pdf = renderer.render(replace(record_factory(events=80), first_page=12))
        pages = int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"])
        out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        total = 11 + pages
        for number in range(12, total + 1):
            assert f"Page {number} of {total}" in out

    def test_a_one_page_certificate_is_numbered_on_from_the_document(
        self, renderer: CertificateRenderer, record: CompletionRecord
    ) -> None:
        """A certificate that fits one page after a 2-page document says "Page 3 of 3" and has one page."""
        pdf = renderer.render(replace(record, first_page=3))
        assert int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"]) == 1
        out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Page 3 of 3" in out
        assert "Page 3 of ?" not in out
