"""Verification of a sealed PDF: is it ours, intact, covering the whole file, and for which envelope.

Uses pyHanko's validator with a validation context that trusts only the roots passed in and never
fetches anything, so a verdict depends on the file and our roots alone. Revision 1 (the bytes sent
to the signers) is cut out along the file's own cross-reference structure, not by searching for
text, and its SHA-256 is compared with what the seal vouches for.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from domain.sealing.seal import SEAL_FIELD_NAME, SealMetadata

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s*%%EOF")


@dataclass(frozen=True)
class SealVerdict:
    """The answers an auditor asks for about one file; ``problems`` explains every ``False``."""

    file_sha256: str
    sealed: bool
    ours: bool = False
    intact: bool = False
    valid: bool = False
    covers_whole_file: bool = False
    coverage: str | None = None
    modification_level: str | None = None
    signer_subject: str | None = None
    signer_fingerprint_sha256: str | None = None
    signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    timestamp_valid: bool | None = None
    timestamp_trusted: bool | None = None
    envelope_id: str | None = None
    document_id: str | None = None
    document_version: int | None = None
    revision1_sha256: str | None = None
    revision1_matches_seal: bool | None = None
    matches_stored_copy: bool | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the file is sealed by us, intact, wholly covered and revision 1 is what the seal names."""
        return (
            self.sealed
            and self.ours
            and self.intact
            and self.valid
            and self.covers_whole_file
            and self.revision1_matches_seal is True
            and self.timestamp_valid is not False
            and self.matches_stored_copy is not False
        )


def first_revision(pdf: bytes) -> bytes:
    """Return revision 1 of ``pdf``: everything up to its first ``%%EOF`` marker and end-of-line.

    The end is found from the first cross-reference section pyHanko reads (its startxref value must
    match), so a ``%%EOF`` inside a stream or comment cannot fool it. Raises ``ValueError`` if the
    structure does not allow the cut.
    """
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    meta = reader.xrefs.get_xref_container_info(0)
    expected = reader.xrefs.get_startxref_for_revision(0)
    match = _STARTXREF.search(pdf, meta.end_location)
    if match is None or int(match.group(1)) != expected:
        raise ValueError("revision 1 does not end with the startxref of its cross-reference section")
    end = match.end()
    if pdf[end : end + 2] == b"\r\n":
        end += 2
    elif pdf[end : end + 1] in (b"\n", b"\r"):
        end += 1
    return pdf[:end]


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _revision1(pdf: bytes, claimed: SealMetadata | None, problems: list[str]) -> tuple[str | None, bool | None]:
    try:
        revision = first_revision(pdf)
    except (PdfError, ValueError) as exc:
        problems.append(f"revision 1 cannot be located: {exc}")
        return None, None
    digest = hashlib.sha256(revision).hexdigest()
    if claimed is None:
        return digest, None
    # The sent file may lack a final end-of-line that the next revision then supplies.
    if digest != claimed.sent_sha256 and 0 < len(revision) - claimed.sent_length <= 2:
        shorter = pdf[: claimed.sent_length]
        if hashlib.sha256(shorter).hexdigest() == claimed.sent_sha256:
            return claimed.sent_sha256, True
    matches = digest == claimed.sent_sha256 and len(revision) == claimed.sent_length
    if not matches:
        problems.append("revision 1 differs from the document the seal names as sent")
    return digest, matches


def verify_sealed_pdf(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    stored_copy_sha256: str | None = None,
    *,
    timestamp_trust_roots: Sequence[x509.Certificate] | None = None,
    at: datetime | None = None,
) -> SealVerdict:
    """Verify ``pdf`` against our ``trust_roots`` and return a :class:`SealVerdict` (never raises on bad files).

    ``timestamp_trust_roots`` are the TSA roots to trust (default: ``trust_roots``); ``at`` is the
    validation time (default: the validator's current time).
    """
    file_sha256 = hashlib.sha256(pdf).hexdigest()
    stored_match = None if stored_copy_sha256 is None else stored_copy_sha256.lower() == file_sha256
    problems: list[str] = []
    if stored_match is False:
        problems.append("the file differs from the stored copy")
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_regular_signatures
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"not a readable PDF: {exc}")
        return SealVerdict(file_sha256, sealed=False, matches_stored_copy=stored_match, problems=tuple(problems))
    seals = [sig for sig in signatures if sig.field_name == SEAL_FIELD_NAME] or list(signatures)
    if not seals:
        problems.append("the file carries no signature")
        return SealVerdict(file_sha256, sealed=False, matches_stored_copy=stored_match, problems=tuple(problems))
    seal = seals[-1]
    claimed = SealMetadata.from_reason(_text(seal.sig_object.get("/Reason")))
    if claimed is None:
        problems.append("the signature carries no undersign seal metadata")
    revision1_sha256, revision1_matches = _revision1(pdf, claimed, problems)

    roots = [_asn1(cert) for cert in trust_roots]
    ts_roots = [_asn1(cert) for cert in timestamp_trust_roots] if timestamp_trust_roots is not None else roots
    signer_vc = ValidationContext(trust_roots=roots, allow_fetching=False, moment=at)
    ts_vc = ValidationContext(trust_roots=ts_roots, allow_fetching=False, moment=at)
    base = SealVerdict(
        file_sha256=file_sha256,
        sealed=True,
        envelope_id=claimed.envelope_id if claimed else None,
        document_id=claimed.document_id if claimed else None,
        document_version=claimed.document_version if claimed else None,
        revision1_sha256=revision1_sha256,
        revision1_matches_seal=revision1_matches,
        matches_stored_copy=stored_match,
    )
    try:
        status = validate_pdf_signature(seal, signer_vc, ts_validation_context=ts_vc)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"the signature could not be validated: {exc}")
        return replace(base, problems=tuple(problems))

    cert = status.signing_cert
    # After the seal only long-term validation data (a DSS) and archive timestamps may follow (PAdES
    # B-LT/B-LTA); pyHanko's difference analysis says so with LTA_UPDATES. Anything else is a change.
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level == ModificationLevel.LTA_UPDATES
    )
    ts = status.timestamp_validity
    if not status.intact:
        problems.append("the signed bytes were changed after sealing")
    if not status.valid:
        problems.append("the signature value does not verify")
    if not status.trusted:
        problems.append("the signing certificate does not chain to our trust roots")
    if not covers:
        level = status.coverage.name if status.coverage is not None else "unknown"
        problems.append(f"the seal does not cover the whole file (coverage {level})")
    if ts is not None and not (ts.intact and ts.valid):
        problems.append("the timestamp token does not verify")
    return replace(
        base,
        ours=bool(status.trusted and status.valid and status.intact),
        intact=status.intact,
        valid=status.valid,
        covers_whole_file=covers,
        coverage=status.coverage.name if status.coverage is not None else None,
        modification_level=status.modification_level.name if status.modification_level is not None else None,
        signer_subject=cert.subject.human_friendly,
        signer_fingerprint_sha256=cert.sha256.hex(),
        signing_time=status.signer_reported_dt,
        timestamp_time=ts.timestamp if ts is not None else None,
        timestamp_valid=(ts.intact and ts.valid) if ts is not None else None,
        timestamp_trusted=ts.trusted if ts is not None else None,
        problems=tuple(problems),
    )


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
