"""Verification of a PDF someone hands us: is it one of ours, intact, whole, and which record it is.

The seal is checked against our own roots only (nothing fetched); the envelope named in the seal is
looked up, and the file's SHA-256 is compared with the sealed copy we filed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography import x509

from domain.envelopes import SignerStatus
from domain.ports import EnvelopeRepository, SignedDocumentRepository
from domain.sealing.verify import verify_sealed_pdf


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class VerificationService:
    """Answers "is this our sealed record, and is it intact?" for an uploaded file."""

    def __init__(
        self,
        *,
        signed: SignedDocumentRepository | None,
        envelopes: EnvelopeRepository | None,
        trust_roots: Sequence[x509.Certificate],
        tsa_roots: Sequence[x509.Certificate] = (),
    ) -> None:
        self._signed = signed
        self._envelopes = envelopes
        self._roots = list(trust_roots)
        self._tsa_roots = [*trust_roots, *tsa_roots]

    def verify(self, pdf: bytes) -> dict[str, Any]:
        """Return the verdict as JSON-able data (``ok`` plus every answer and every problem)."""
        first = verify_sealed_pdf(pdf, self._roots, timestamp_trust_roots=self._tsa_roots)
        stored = None
        if first.envelope_id and self._signed is not None:
            record = self._signed.by_envelope(first.envelope_id)
            if record is not None:
                stored = record.sealed.sha256
        verdict = first
        if stored is not None:
            verdict = verify_sealed_pdf(pdf, self._roots, stored, timestamp_trust_roots=self._tsa_roots)
        signers: list[dict[str, Any]] = []
        if verdict.envelope_id and self._envelopes is not None and verdict.ours:
            envelope = self._envelopes.get(verdict.envelope_id)
            if envelope is not None:
                signers = [
                    {
                        "name": s.signed_name or s.name,
                        "email": s.email,
                        "title": s.signed_title or s.title,
                        "role": s.role.value,
                        "signed_at": _iso(s.signed_at),
                    }
                    for s in envelope.signers
                    if s.status is SignerStatus.SIGNED
                ]
        return {
            "ok": verdict.ok,
            "file_sha256": verdict.file_sha256,
            "sealed": verdict.sealed,
            "ours": verdict.ours,
            "intact": verdict.intact,
            "valid": verdict.valid,
            "covers_whole_file": verdict.covers_whole_file,
            "envelope_id": verdict.envelope_id,
            "document_id": verdict.document_id,
            "document_version": verdict.document_version,
            "revision1_sha256": verdict.revision1_sha256,
            "revision1_matches_seal": verdict.revision1_matches_seal,
            "matches_stored_copy": verdict.matches_stored_copy,
            "signers": signers,
            "certificate": {
                "subject": verdict.signer_subject,
                "fingerprint_sha256": verdict.signer_fingerprint_sha256,
            },
            "signing_time": _iso(verdict.signing_time),
            "timestamp": {
                "time": _iso(verdict.timestamp_time),
                "valid": verdict.timestamp_valid,
                "trusted": verdict.timestamp_trusted,
            },
            "problems": list(verdict.problems),
        }
