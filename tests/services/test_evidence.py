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
from domain.blobs import Retention, StoredBlob
from domain.calendar_years import add_years
from domain.envelopes import disclosure_text
from domain.errors import NotFound
from domain.roles import Role
from domain.sealing.html_pages import HtmlPageWriter
from domain.sealing.seal import Sealer
from services.audit import AuditService
from services.evidence import EvidencePlan, EvidenceTools, ExportSubject, FiledDocument, plan_export, stream_bundle
from tests.fakes.audit import FakeCheckpointRepository
from tests.fakes.blobs import FakeBlobStore
from tests.services.ceremony import Ceremony
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
    """A letter signed by both parties and sealed, and the audit service that exports its envelope's evidence."""

    def __init__(self, office: FakeOffice, data_dir: Path) -> None:
        self.office = office
        self.ceremony = Ceremony(office)
        self.ceremony.sign(self.ceremony.token_for("marcus@example.com"), "Marcus Lee")
        self.ceremony.sign(self.ceremony.token_for("priya@harbour.example"), "Priya Shah")
        self.sealing = load_or_create_dev_sealing_key(data_dir, office.clock.now()).key
        with office.transaction():
            self.ceremony.completion(self.sealing).complete(self.ceremony.envelope_id)
        signing_key, self.certificate = service_key()
        self.checkpoints = FakeCheckpointRepository()
        self.audit = AuditService(
            log=office.audit,
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

    def subject(self, envelope_id: str | None = None) -> ExportSubject:
        """The envelope as an export subject, with its sealed copy (as the runtime builds it)."""
        envelope_id = envelope_id or self.envelope_id
        envelope = self.office.envelopes.get(self.envelope_id)
        signed = self.office.signed.by_envelope(self.envelope_id)
        assert envelope is not None and signed is not None
        return ExportSubject(
            subject_type="envelope",
            subject_id=envelope_id,
            subjects={"envelope": envelope_id, "client": envelope.client_id},
            label=f'"{envelope.title}", envelope {envelope_id}',
            outcome="signed by everyone",
            filename=f"evidence-{envelope_id}.zip",
            documents=(FiledDocument(f"{envelope_id}-sealed.pdf", f"{envelope.title} (signed)", signed.sealed),),
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
        assert office.audit.actions()[-1] == "evidence.exported"
        assert plan.evidence.head.statement.seq == len(office.audit.recorded) and plan.evidence.previous is None
        assert plan.evidence.head.statement.root == office.audit.tree_root(len(office.audit.recorded)).hex()
        # Only the envelope's own events go out, each with its proof.
        mine = office.audit.subject_events("envelope", export.envelope_id, len(office.audit.recorded))
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
            (tmp_path / "summary.pdf").write_bytes(opened.read("documents/evidence-summary.pdf"))
        checked = subprocess.run(["pdfsig", str(tmp_path / "summary.pdf")], capture_output=True, text=True, check=False)
        assert "Signature is Valid" in checked.stdout, checked.stdout + checked.stderr

    def test_a_second_export_proves_the_log_only_grew(self, office: FakeOffice, tmp_path: Path) -> None:
        """A later export carries the earlier tree head and a consistency proof the outsider accepts."""
        export = Export(office, tmp_path / "data")
        first = export.plan()
        office.clock.at += timedelta(days=1)
        second = export.plan()
        assert second.evidence.previous is not None
        assert second.evidence.previous.statement.seq == first.evidence.head.statement.seq
        assert second.evidence.head.statement.seq > first.evidence.head.statement.seq
        result = verify(export.write(second, tmp_path / "bundle.zip"))
        assert result.returncode == 0, result.stdout + result.stderr
        grew = f"the log grew from {first.evidence.head.statement.seq} to {second.evidence.head.statement.seq} events"
        assert grew in result.stdout

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
