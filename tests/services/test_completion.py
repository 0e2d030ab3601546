"""Completion driven through fakes with a real sealer: the signed letter is sealed, filed, checked by pdfsig."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.signing_keys import load_or_create_dev_sealing_key
from adapters.template_library import TemplateLibrary
from domain.envelopes import EnvelopeStatus
from domain.risks import RiskStatus
from services.verification import VerificationService
from tests.services.ceremony import Ceremony
from tests.services.office import FakeOffice


@pytest.fixture
def office(template_library: TemplateLibrary) -> FakeOffice:
    """A back office over fakes on 2026-11-25."""
    return FakeOffice(template_library, at=datetime(2026, 11, 25, 12, tzinfo=UTC))


class TestCompletion:
    def test_a_fully_signed_letter_is_sealed_filed_and_keeps_the_sent_bytes(
        self, office: FakeOffice, tmp_path: Path
    ) -> None:
        """The sealed PDF begins with the sent bytes, pdfsig and our verifier accept it, and the risk is accepted."""
        ceremony = Ceremony(office)
        ceremony.sign(ceremony.token_for("marcus@example.com"), "Marcus Lee")
        ceremony.sign(ceremony.token_for("priya@harbour.example"), "Priya Shah")
        key = load_or_create_dev_sealing_key(tmp_path / "data", office.clock.now()).key
        with office.transaction():
            ceremony.completion(key).complete(ceremony.envelope_id)
        envelope = office.envelopes.get(ceremony.envelope_id)
        assert envelope is not None and envelope.status is EnvelopeStatus.COMPLETED
        signed = office.signed.by_envelope(ceremony.envelope_id)
        assert signed is not None
        sealed = office.blobs.get(signed.sealed.key, signed.sealed.version_id)
        sent = office.blobs.get(envelope.sent_key, envelope.sent_version_id)
        assert sealed.startswith(sent) and len(sealed) > len(sent)
        [version] = office.blobs.objects[signed.sealed.key]
        assert version.retention is not None and version.retention.mode == "GOVERNANCE"
        path = tmp_path / "sealed.pdf"
        path.write_bytes(sealed)
        checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
        assert "Signature is Valid" in checked.stdout, checked.stdout + checked.stderr
        assert ceremony.risk_status() is RiskStatus.ACCEPTED
        assert office.documents.documents[ceremony.document_id].frozen_at is None
        # The verification service recognises its own record, with both signers, and refuses a changed byte.
        verification = VerificationService(
            signed=office.signed, envelopes=office.envelopes, trust_roots=key.trust_roots()
        )
        answer = verification.verify(sealed)
        assert answer["ok"] and answer["ours"] and answer["matches_stored_copy"], answer["problems"]
        assert [s["name"] for s in answer["signers"]] == ["Marcus Lee", "Priya Shah"]
        flipped = bytearray(sealed)
        flipped[len(sent) // 2] ^= 0x01
        assert not verification.verify(bytes(flipped))["ok"]
