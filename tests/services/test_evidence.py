"""Per-subject evidence bundles driven through fakes, each checked by the standalone verifier run as its own program.

The envelope is really signed and sealed (the ceremony and completion over the fakes, a real
sealer); the export writes and seals its summary, records itself, signs a tree head and proves the
envelope's events against it. The zip is then handed to ``tools/verify_audit_chain.py`` in an
isolated interpreter, and the summary PDF to ``pdfsig``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.evidence_seal import EvidenceSeal
from adapters.signing_keys import load_or_create_dev_sealing_key
from adapters.template_library import TemplateLibrary
from domain.actor import Actor
from domain.audit import certificate_fingerprint
from domain.blobs import Retention, StoredBlob
from domain.calendar_years import add_years
from domain.envelopes import EnvelopeStatus, SignerStatus, disclosure_text
from domain.errors import NotFound, StoreUnavailable
from domain.roles import Role
from domain.sealing.html_pages import HtmlPageWriter
from domain.sealing.seal import Sealer
from services.audit import AuditService
from services.evidence import EvidencePlan, EvidenceTools, ExportSubject, FiledDocument, plan_export, stream_bundle
from services.refusal_records import RefusalRecords
from tests.fakes.audit import FakeCheckpointRepository
from tests.fakes.blobs import FakeBlobStore
from tests.services.ceremony import CALLER, Ceremony
from tests.services.office import FakeOffice
from tests.services.service_key import service_key
from undersign.settings import REPO_ROOT

AUDITOR = Actor(name="insurer", role=Role.AUDITOR)
TOOL = REPO_ROOT / "tools" / "verify_audit_chain.py"
CONSENT = "esign-consent-2"


def lock_facts(blobs: FakeBlobStore, blob: StoredBlob) -> dict[str, Any]:
    """Return what the fake store holds for ``blob``: version, SHA-256 and retention (no legal holds here)."""
    version = blobs.version(blob.key, blob.version_id)
    retention = version.retention
    return {
        "bucket": blobs.bucket,
        "key": blob.key,
        "version_id": version.version_id,
        "sha256": hashlib.sha256(version.data).hexdigest(),
        "retention_mode": retention.mode if retention else None,
        "retain_until": retention.retain_until.isoformat() if retention else None,
        "legal_hold": False,
    }


class Export:
    """A letter out for signature (signed by both parties and sealed unless ``signed`` is false) and its exporter."""

    def __init__(self, office: FakeOffice, data_dir: Path, *, signed: bool = True) -> None:
        self.office = office
        self.ceremony = Ceremony(office)
        self.sealing = load_or_create_dev_sealing_key(data_dir, office.clock.now()).key
        if signed:
            self.ceremony.sign(self.ceremony.token_for("marcus@example.com"), "Marcus Lee")
            self.ceremony.sign(self.ceremony.token_for("priya@harbour.example"), "Priya Shah")
            with office.transaction():
                self.ceremony.completion(self.sealing).complete(self.ceremony.envelope_id)
        signing_key, self.certificate = service_key()
        self.checkpoints = FakeCheckpointRepository()
        self.audit = AuditService(
            log=office.audit,
            trail=office.audit,
            checkpoints=self.checkpoints,
            blobs=office.blobs,
            clock=office.clock,
            certificate=self.certificate,
            signing_key=signing_key,
        )
        self.seal = EvidenceSeal(Sealer(self.sealing))
        self.writer = HtmlPageWriter()

    @property
    def envelope_id(self) -> str:
        """The exported envelope's id."""
        return self.ceremony.envelope_id

    def subject(self, envelope_id: str | None = None, *documents: FiledDocument) -> ExportSubject:
        """The envelope as an export subject, with its sealed copy (as the runtime builds it) or ``documents``."""
        envelope_id = envelope_id or self.envelope_id
        envelope = self.office.envelopes.get(self.envelope_id)
        assert envelope is not None
        if not documents:
            signed = self.office.signed.by_envelope(self.envelope_id)
            assert signed is not None
            documents = (FiledDocument(f"{envelope_id}-sealed.pdf", f"{envelope.title} (signed)", signed.sealed),)
        return ExportSubject(
            subject_type="envelope",
            subject_id=envelope_id,
            subjects={"envelope": envelope_id, "client": envelope.client_id},
            label=f'"{envelope.title}", envelope {envelope_id}',
            outcome="signed by everyone" if self.office.signed.by_envelope(envelope_id) else "refused to sign",
            filename=f"evidence-{envelope_id}.zip",
            documents=documents,
        )

    def refusals(self) -> RefusalRecords:
        """The refusal recorder production wires beside the signing service, over the same fakes and seal."""
        office = self.office
        return RefusalRecords(
            envelopes=office.envelopes,
            log=office.audit,
            head_seq=self.audit.latest_head_seq,
            trail=office.audit,
            blobs=office.blobs,
            writer=self.writer,
            seal=self.seal.seal,
            retention=lambda now: Retention(mode="GOVERNANCE", retain_until=add_years(now, 10)),
            fingerprint=certificate_fingerprint(self.certificate),
        )

    def plan(self, subject: ExportSubject | None = None) -> EvidencePlan:
        """Record the export, sign a tree head over it and prove the subject's events, in one transaction."""
        office = self.office
        now = office.clock.now()
        chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.sealing.chain)
        shown = disclosure_text(CONSENT, office.rules.paper_copy_contact)
        tools = EvidenceTools(
            writer=self.writer,
            seal=lambda pdf: self.seal.seal(f"envelope:{self.envelope_id}", pdf, now),
            retention=Retention(mode="GOVERNANCE", retain_until=add_years(now, 10)),
            lock_facts=lambda blob: lock_facts(office.blobs, blob),
            extra_files=(("pki/service-chain.pem", chain), (f"disclosure/{CONSENT}.txt", shown.encode())),
        )
        with office.transaction():
            return plan_export(
                AUDITOR,
                subject or self.subject(),
                audit=self.audit,
                trail=office.audit,
                log=office.audit,
                blobs=office.blobs,
                tools=tools,
                certificate=self.certificate,
                now=now,
            )

    def write(self, plan: EvidencePlan, target: Path) -> Path:
        """Stream the bundle of ``plan`` to ``target``, reading its documents from the store."""
        target.write_bytes(b"".join(stream_bundle(plan, self.office.blobs)))
        return target


def pdf_text(pdf: bytes) -> str:
    """Return the text of a PDF as ``pdftotext`` reads it, whitespace folded (an independent reader)."""
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def seal_checks(pdf: bytes, where: Path) -> str:
    """Return what ``pdfsig`` says of the PDF's signatures."""
    where.write_bytes(pdf)
    checked = subprocess.run(["pdfsig", str(where)], capture_output=True, text=True, check=False)
    return checked.stdout + checked.stderr


def verify(bundle: Path, certificate: x509.Certificate | None = None) -> subprocess.CompletedProcess[str]:
    """Run the standalone verifier in its own isolated interpreter (pinning the certificate when given)."""
    pin = []
    if certificate is not None:
        pin = ["--cert-sha256", hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()]
    return subprocess.run(
        [sys.executable, "-I", str(TOOL), str(bundle), *pin], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes on 2026-11-25."""
    return FakeOffice(template_library, at=datetime(2026, 11, 25, 12, tzinfo=UTC))


class TestEvidence:
    def test_a_bundle_verifies_with_the_outsiders_tool(self, office: FakeOffice, tmp_path: Path) -> None:
        """The export is audited under a fresh tree head; the zip, its documents and the summary's seal check out."""
        export = Export(office, tmp_path / "data")
        plan = export.plan()
        # The export is chained, then the head over it is signed, and that head's filing is chained after it.
        assert office.audit.actions()[-2:] == ["evidence.exported", "audit.checkpoint_filed"]
        size = len(office.audit.recorded) - 1
        assert plan.evidence.head.statement.seq == size and plan.evidence.previous is None
        assert plan.evidence.head.statement.root == office.audit.tree_root(size).hex()
        # Only the envelope's own events go out, each with its proof.
        mine = office.audit.subject_events("envelope", export.envelope_id, size)
        assert [p.event.seq for p in plan.evidence.events] == [e.seq for e, _ in mine]
        assert len(mine) < len(office.audit.recorded)
        [exported] = office.audit.of("evidence.exported")
        summary = exported.payload["summary"] if exported.payload else {}
        filed = office.blobs.version(summary["key"], summary["version_id"])
        assert filed.retention is not None and filed.retention.mode == "GOVERNANCE"
        bundle = export.write(plan, tmp_path / "bundle.zip")
        result = verify(bundle, export.certificate)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VERDICT: VALID" in result.stdout
        assert f"ok    documents/{export.envelope_id}-sealed.pdf is the document recorded in the log" in result.stdout
        assert "ok    documents/evidence-summary.pdf is the document recorded in the log" in result.stdout
        assert f"ok    disclosure/{CONSENT}.txt is the disclosure text a signer consented to" in result.stdout
        with zipfile.ZipFile(bundle) as opened:
            summary_pdf = opened.read("documents/evidence-summary.pdf")
        assert "Signature is Valid" in seal_checks(summary_pdf, tmp_path / "summary.pdf")

    def test_a_second_export_proves_the_log_only_grew(self, office: FakeOffice, tmp_path: Path) -> None:
        """A later export carries the earlier tree head and a consistency proof the outsider accepts."""
        export = Export(office, tmp_path / "data")
        first = export.plan()
        office.clock.at += timedelta(days=1)
        second = export.plan()
        assert second.evidence.previous is not None
        assert second.evidence.previous.statement.seq == first.evidence.head.statement.seq
        assert second.evidence.head.statement.seq > first.evidence.head.statement.seq
        # The earlier head's filing event goes with it (it names no client), proven like the envelope's events.
        [filed] = [p.event for p in second.evidence.events if p.event.action == "audit.checkpoint_filed"]
        assert filed.seq == first.evidence.head.statement.seq + 1 and filed.ip is None
        result = verify(export.write(second, tmp_path / "bundle.zip"))
        assert result.returncode == 0, result.stdout + result.stderr
        grew = f"the log grew from {first.evidence.head.statement.seq} to {second.evidence.head.statement.seq} events"
        assert grew in result.stdout
        assert f"tree head on line 1 of tree-heads.jsonl was recorded in the log at seq {filed.seq}" in result.stdout

    def test_a_chain_edited_in_the_database_fails_the_verifier(self, office: FakeOffice, tmp_path: Path) -> None:
        """An event rewritten and a payload changed after they were chained are both caught by the outsider."""
        export = Export(office, tmp_path / "data")
        mine = [
            i for i, item in enumerate(office.audit.recorded) if item.subjects.get("envelope") == export.envelope_id
        ]
        edited, with_payload = mine[0], next(i for i in mine[1:] if office.audit.recorded[i].payload is not None)
        item = office.audit.recorded[edited]
        office.audit.recorded[edited] = replace(item, event=replace(item.event, action="envelope.voided"))
        item = office.audit.recorded[with_payload]
        office.audit.recorded[with_payload] = replace(item, payload={**(item.payload or {}), "ip": "203.0.113.9"})
        result = verify(export.write(export.plan(), tmp_path / "bundle.zip"))
        assert result.returncode == 1 and "VERDICT: INVALID" in result.stdout
        assert f"seq {edited + 1} does not match its hash (edited)" in result.stdout
        assert f"the payload of seq {with_payload + 1} was changed" in result.stdout

    def test_nothing_recorded_is_nothing_to_export(self, office: FakeOffice, tmp_path: Path) -> None:
        """An export of a subject the log never named is NotFound and records, files and signs nothing."""
        export = Export(office, tmp_path / "data")
        events, objects = len(office.audit.recorded), office.blobs.count()
        with pytest.raises(NotFound, match="Nothing is recorded"):
            export.plan(export.subject("ENV-unknown"))
        assert len(office.audit.recorded) == events and office.blobs.count() == objects
        assert export.checkpoints.all() == []


class TestRefusalRecord:
    def test_a_decline_files_a_sealed_refusal_record_the_export_carries(
        self, office: FakeOffice, tmp_path: Path
    ) -> None:
        """Declining files a sealed, locked record with the reason, chained by hash; the bundle with it verifies."""
        export = Export(office, tmp_path / "data", signed=False)
        ceremony = export.ceremony
        token = ceremony.token_for("marcus@example.com")
        with office.transaction():
            ceremony.signing().consent(token, CALLER, agreed=True, version=CONSENT)
        with office.transaction():
            ceremony.signing(export.refusals()).decline(token, CALLER, "We have compensating controls")
        [filed] = office.audit.of("envelope.refusal_filed")
        assert filed.payload is not None and filed.payload["reason"] == "We have compensating controls"
        version = office.blobs.version(filed.payload["key"], filed.payload["version_id"])
        assert filed.event.document_sha256 == hashlib.sha256(version.data).hexdigest() == filed.payload["sha256"]
        assert version.retention is not None and version.retention.mode == "GOVERNANCE"
        assert "Signature is Valid" in seal_checks(version.data, tmp_path / "refusal.pdf")
        text = pdf_text(version.data)
        # The record's table wraps the reason across cells, so its words are checked, not the whole phrase.
        assert "outcome: refused to sign" in text and "The signer refused to sign" in text
        assert all(word in text for word in ("We have", "compensating", "controls", "198.51.100.4", "Marcus Lee"))
        record = StoredBlob("", filed.payload["key"], filed.payload["version_id"], filed.payload["sha256"], 0)
        envelope_id = export.envelope_id
        document = FiledDocument(f"{envelope_id}-refusal-record-1.pdf", "Refusal record", record)
        result = verify(export.write(export.plan(export.subject(None, document)), tmp_path / "bundle.zip"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert (
            f"ok    documents/{envelope_id}-refusal-record-1.pdf is the document recorded in the log" in result.stdout
        )

    def test_a_refusal_record_that_cannot_be_filed_rolls_the_decline_back(
        self, office: FakeOffice, tmp_path: Path
    ) -> None:
        """With the object store down the decline fails whole: the signer can still sign, nothing is chained."""
        export = Export(office, tmp_path / "data", signed=False)
        ceremony = export.ceremony
        token = ceremony.token_for("marcus@example.com")
        events = len(office.audit.recorded)
        office.blobs.down = True
        with pytest.raises(StoreUnavailable), office.transaction():
            ceremony.signing(export.refusals()).decline(token, CALLER, "Not now, thanks")
        office.blobs.down = False
        assert len(office.audit.recorded) == events and office.audit.of("envelope.refusal_filed") == []
        assert ceremony.status("marcus@example.com") is not SignerStatus.DECLINED
        envelope = office.envelopes.get(export.envelope_id)
        assert envelope is not None and envelope.status is EnvelopeStatus.SENT
