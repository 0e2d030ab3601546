"""Evidence bundles driven through fakes, each checked by the standalone verifier run as its own program."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.actor import Actor
from domain.documents import SignedDocument
from domain.errors import NotFound
from domain.roles import Role
from services.audit import AuditService
from services.evidence import EvidencePlan, plan_export, stream_bundle
from tests.fakes.audit import FakeCheckpointRepository
from tests.services.office import FakeOffice
from tests.services.service_key import service_key
from undersign.settings import REPO_ROOT

TECH = Actor(name="tech-desk", role=Role.TECH)
AUDITOR = Actor(name="insurer", role=Role.AUDITOR)
TOOL = REPO_ROOT / "tools" / "verify_audit_chain.py"
LETTER = "waivers/decline-of-service"
MFA_SAMPLE = REPO_ROOT / "templates" / LETTER / "samples" / "mfa-ra-2026-0042.json"


class Export:
    """A filed letter recorded as signed, and the audit service that exports its evidence."""

    def __init__(self, office: FakeOffice) -> None:
        self.office = office
        key, self.certificate = service_key()
        self.audit = AuditService(
            log=office.audit,
            checkpoints=FakeCheckpointRepository(),
            blobs=office.blobs,
            clock=office.clock,
            certificate=self.certificate,
            signing_key=key,
        )
        variables: dict[str, Any] = json.loads(MFA_SAMPLE.read_text())
        client = office.add_client()
        document, version = office.document_service().create(TECH, LETTER, client.id, variables, ["pdf"])
        # The filed PDF stands in for the sealed copy: its hash is in the chain (document.created).
        sealed = version.files[0].blob
        self.signed = SignedDocument("ENV-1", document.id, 1, client.id, LETTER, office.clock.now(), sealed)

    def plan(self) -> EvidencePlan:
        """Record the export and sign a checkpoint over it."""
        return plan_export(
            AUDITOR,
            audit=self.audit,
            trail=self.office.audit,
            signed=[self.signed],
            subjects={"envelope": "ENV-1"},
            filename="evidence-ENV-1.zip",
            certificate=self.certificate,
            now=self.office.clock.now(),
        )

    def write(self, plan: EvidencePlan, target: Path) -> Path:
        """Stream the bundle of ``plan`` to ``target``."""
        chunks = stream_bundle(plan, lambda up_to: self.office.audit.stream(up_to_seq=up_to), self.office.blobs)
        target.write_bytes(b"".join(chunks))
        return target


def verify(bundle: Path) -> subprocess.CompletedProcess[str]:
    """Run the standalone verifier in its own isolated interpreter."""
    return subprocess.run(
        [sys.executable, "-I", str(TOOL), str(bundle)], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes on 2026-11-25."""
    return FakeOffice(template_library, at=datetime(2026, 11, 25, 12, tzinfo=UTC))


class TestEvidence:
    def test_a_bundle_verifies_with_the_outsiders_tool(self, office: FakeOffice, tmp_path: Path) -> None:
        """The export is audited, covered by a fresh checkpoint, and the zip passes the standalone verifier."""
        export = Export(office)
        plan = export.plan()
        assert office.audit.actions()[-1] == "evidence.exported" and plan.up_to_seq == len(office.audit.recorded)
        result = verify(export.write(plan, tmp_path / "bundle.zip"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VERDICT: VALID" in result.stdout

    def test_a_chain_edited_after_the_checkpoint_fails_the_verifier(self, office: FakeOffice, tmp_path: Path) -> None:
        """Changing a recorded event after the export's checkpoint makes the bundle invalid for the outsider."""
        export = Export(office)
        plan = export.plan()
        first = office.audit.recorded[0]
        office.audit.recorded[0] = replace(first, event=replace(first.event, action="document.deleted"))
        result = verify(export.write(plan, tmp_path / "bundle.zip"))
        assert result.returncode == 1 and "VERDICT: INVALID" in result.stdout

    def test_nothing_signed_is_nothing_to_export(self, office: FakeOffice) -> None:
        """An export with no signed document is NotFound and records nothing."""
        export = Export(office)
        events = len(office.audit.recorded)
        with pytest.raises(NotFound):
            plan_export(
                AUDITOR, audit=export.audit, trail=office.audit, signed=[], subjects={}, filename="x.zip",
                certificate=export.certificate, now=office.clock.now(),
            )  # fmt: skip
        assert len(office.audit.recorded) == events
