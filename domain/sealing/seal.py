"""The PAdES seal: the service's certificate signs the completed file as a whole.

The seal is a certification signature (``/DocMDP`` "no changes") with subfilter
``ETSI.CAdES.detached`` and SHA-256, made by a :class:`Sealer` that loads its key once and reserves
the signature space up front, so pyHanko neither re-parses the key nor signs twice to size the
signature. When a timestamp authority is configured its RFC 3161 token goes into the signature;
if the authority cannot be reached the seal fails with ``TimestampUnavailable`` and nothing is
produced: a seal must never carry an invented time.

The seal's ``/Reason`` carries the envelope, document, version and the SHA-256 and length of the
sent bytes in a fixed ``key=value`` form (:class:`SealMetadata`), so a verifier holding only the
file can say which envelope it belongs to and check revision 1 against what the seal vouches for.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import constants
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import add_validation_info
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from domain.errors import FieldError, InvalidInput, TimestampUnavailable
from domain.languages import N_
from domain.sealing.keys import SealingKey
from domain.sealing.pdfa import keep_pdfa

SEAL_FIELD_NAME = "UndersignSeal"
REASON_PREFIX = "undersign seal"
_MD = "sha256"
# Room for signed attributes beyond the measured dry run (ECDSA signatures vary by a few bytes).
_SLACK = 512
_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Only the size of the dry-run CMS matters; a fixed time keeps the domain off the clock.
_SIZING_TIME = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SealMetadata:
    """What the seal vouches for: the envelope, the document version and the sent bytes."""

    envelope_id: str
    document_id: str
    document_version: int
    sent_sha256: str
    sent_length: int

    def __post_init__(self) -> None:
        errors = [
            FieldError(name, "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")
            for name in ("envelope_id", "document_id")
            if not _ID.fullmatch(getattr(self, name))
        ]
        if not _HEX64.fullmatch(self.sent_sha256):
            errors.append(FieldError("sent_sha256", "must be 64 lowercase hex digits"))
        if self.document_version < 1:
            errors.append(FieldError("document_version", "must be at least 1"))
        if self.sent_length < 1:
            errors.append(FieldError("sent_length", "must be positive"))
        if errors:
            raise InvalidInput("The seal metadata is invalid.", errors=errors)

    def to_reason(self) -> str:
        """Return the ``/Reason`` text: human-readable, and parsed back by :meth:`from_reason`."""
        return (
            f"{REASON_PREFIX}; envelope={self.envelope_id}; document={self.document_id}; "
            f"version={self.document_version}; sent-sha256={self.sent_sha256}; "
            f"sent-length={self.sent_length}"
        )

    @classmethod
    def from_reason(cls, reason: str | None) -> SealMetadata | None:
        """Parse a ``/Reason`` written by :meth:`to_reason`; ``None`` if it is not one of ours."""
        if not reason:
            return None
        head, _, rest = reason.partition(";")
        if head.strip() != REASON_PREFIX:
            return None
        fields_: dict[str, str] = {}
        for part in rest.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep:
                fields_[key] = value
        try:
            return cls(
                envelope_id=fields_["envelope"],
                document_id=fields_["document"],
                document_version=int(fields_["version"]),
                sent_sha256=fields_["sent-sha256"],
                sent_length=int(fields_["sent-length"]),
            )
        except (KeyError, ValueError, InvalidInput):
            return None

    @classmethod
    def for_sent_pdf(
        cls, sent_pdf: bytes, *, envelope_id: str, document_id: str, document_version: int
    ) -> SealMetadata:
        """Build the metadata for a document whose sent bytes are ``sent_pdf``."""
        return cls(
            envelope_id=envelope_id,
            document_id=document_id,
            document_version=document_version,
            sent_sha256=hashlib.sha256(sent_pdf).hexdigest(),
            sent_length=len(sent_pdf),
        )


class _LoadedKeySigner(signers.SimpleSigner):
    """A SimpleSigner that signs with a key object loaded once (pyHanko's reloads it per signature)."""

    def __init__(self, key: SealingKey) -> None:
        self._key = key.private_key
        asn1_cert = asn1_x509.Certificate.load(key.certificate.public_bytes(serialization.Encoding.DER))
        asn1_chain = [asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)) for cert in key.chain]
        key_info = asn1_keys.PrivateKeyInfo.load(
            key.private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        super().__init__(
            signing_cert=asn1_cert,
            signing_key=key_info,
            cert_registry=SimpleCertificateStore.from_certs(asn1_chain),
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` with the loaded key (ECDSA or RSA PKCS#1 v1.5); other mechanisms go to pyHanko."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algo))
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algo)
        return bytes(super().sign_raw(data, digest_algorithm))


class _FailClosedTimeStamper(TimeStamper):
    """Wrap a TimeStamper so any failure to get a token becomes ``TimestampUnavailable``."""

    def __init__(self, inner: TimeStamper) -> None:
        super().__init__(include_nonce=inner.include_nonce)
        self._inner = inner

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> Any:
        """Return the inner TSA's token for ``message_digest``, or raise ``TimestampUnavailable``."""
        try:
            token = await self._inner.async_timestamp(message_digest, md_algorithm)
        except Exception as exc:
            raise TimestampUnavailable(
                f"The timestamp authority did not issue a timestamp ({type(exc).__name__}); "
                "the document was not sealed and can be sealed again later."
            ) from exc
        encap = token["content"]["encap_content_info"]["content"].parsed
        if not isinstance(encap, tsp.TSTInfo) or encap["message_imprint"]["hashed_message"].native != (message_digest):
            # A token over other data would make the seal's timestamp worthless: treat as unavailable.
            raise TimestampUnavailable("The timestamp authority answered with a token for other data.")
        return token


class _TimedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time (``/M``) is the one passed in, not pyHanko's clock read."""

    def __init__(self, *args: Any, sealed_at: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sealed_at = sealed_at

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        """Declare PAdES (ESIC, PDF 1.7) only: the ISO/TS 32002 extension would make the file PDF 2.0.

        PDF/A-3 is based on PDF 1.7, so the sealed file must keep declaring 1.7; PAdES already covers
        ECDSA seals.
        """
        if self.signature_meta.subfilter == fields.SigSeedSubFilter.PADES:
            pdf_out.ensure_output_version(version=(1, 7))
            pdf_out.register_extension(constants.ESIC_EXTENSION_1)

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> PdfSigningSession:
        """Start pyHanko's signing session, then pin its system time to ``sealed_at``."""
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._sealed_at
        return session


def _revocation_unavailable(exc: Exception) -> TimestampUnavailable:
    # A long-term seal without its revocation data would claim more than it proves: fail closed and
    # let the caller retry later, exactly as for a TSA that is down.
    return TimestampUnavailable(
        "The seal certificate's chain or revocation status could not be validated "
        f"({type(exc).__name__}: OCSP/CRL unreachable, or a certificate revoked or expired); "
        "the document was not sealed and can be sealed again later."
    )


class Sealer:
    """Seals completed PDFs with the service's key: load once, seal many.

    Call :meth:`seal` from a worker thread or a sync route, never inside a running event loop:
    pyHanko runs its own loop per signature.

    ``timestamper``: a pyHanko TimeStamper (``HTTPTimeStamper(url)`` for a TSA), or ``None`` when no
    TSA is configured. ``validation_context_factory``: when given, revocation data for the sealing
    certificate and the TSA is embedded (a PAdES DSS update after the seal) for long-term validation.
    """

    def __init__(
        self,
        key: SealingKey,
        *,
        timestamper: TimeStamper | None = None,
        validation_context_factory: Callable[[], ValidationContext] | None = None,
        location: str | None = None,
        timestamp_reserve: int = 12 * 1024,
    ) -> None:
        self._signer = _LoadedKeySigner(key)
        self._timestamper = _FailClosedTimeStamper(timestamper) if timestamper is not None else None
        self._vc_factory = validation_context_factory
        self._location = location
        self.certificate = key.certificate
        self._timestamp_reserve = timestamp_reserve if self._timestamper is not None else 0
        self._bytes_reserved: int | None = None

    def _reservation(self) -> int:
        """Return the signature space to reserve (hex digits), measured by one dry run on first use."""
        if self._bytes_reserved is None:
            # One dry-run signature tells how big every seal's CMS is; a TSA token is extra. Done lazily
            # so that building a Sealer never needs an event loop (pyHanko runs one per call).
            sizing = asyncio.run(
                self._signer.async_sign(
                    hashlib.sha256(b"").digest(),
                    _MD,
                    dry_run=True,
                    use_pades=True,
                    signed_attr_settings=PdfCMSSignedAttributes(signing_time=_SIZING_TIME),
                )
            )
            self._bytes_reserved = 2 * (len(sizing.dump()) + _SLACK + self._timestamp_reserve)
        return self._bytes_reserved

    def seal(self, pdf: bytes, metadata: SealMetadata, *, sealed_at: datetime) -> bytes:
        """Return ``pdf`` with the seal appended as an incremental update (``pdf`` stays the prefix).

        Raises ``TimestampUnavailable`` if a configured TSA fails; nothing is returned then.
        """
        return self.seal_update(lambda: _open(pdf), metadata, sealed_at=sealed_at)

    def seal_update(
        self, prepare: Callable[[], IncrementalPdfFileWriter], metadata: SealMetadata, *, sealed_at: datetime
    ) -> bytes:
        """Seal the document ``prepare()`` returns together with the changes it holds, in one revision.

        ``prepare`` opens the document and makes the changes to seal (stamps, appended pages); the
        seal goes into the same incremental update, so the file is parsed and written once. It is
        called again, for a fresh writer, in the rare case that the seal outgrows its reserved space.
        Raises ``TimestampUnavailable`` if a configured TSA fails; nothing is returned then.
        """
        if sealed_at.tzinfo is None:
            raise ValueError("sealed_at must be timezone-aware")
        reserved = self._reservation()
        try:
            try:
                sealed = self._seal(prepare(), metadata, sealed_at, reserved)
            except SigningError as exc:
                if "larger than expected" not in str(exc):
                    raise
                # A TSA that embeds a long chain can outgrow the reservation: retry once with room to spare.
                sealed = self._seal(prepare(), metadata, sealed_at, reserved * 4)
        except (SigningError, PathError, ValidationError) as exc:
            if not self.long_term:
                raise
            raise _revocation_unavailable(exc) from exc
        return self.add_archive_timestamp(sealed) if self.long_term else sealed

    @property
    def long_term(self) -> bool:
        """True when seals are PAdES B-LTA: a TSA and a validation context for revocation data are configured."""
        return self._timestamper is not None and self._vc_factory is not None

    @property
    def profile(self) -> str:
        """The PAdES level of the seals this sealer makes, in words for the certificate of completion."""
        if self.long_term:
            return N_(
                "PAdES B-LTA: a trusted timestamp, the certificate chain and revocation data are embedded, "
                "and an archive timestamp covers the whole file"
            )
        if self._timestamper is not None:
            return N_("PAdES B-T: a trusted timestamp is embedded (no revocation data was configured)")
        return N_(
            "PAdES B-B without a trusted timestamp: no timestamp authority is configured (development), "
            "so the times shown are the server's own clock"
        )

    def add_archive_timestamp(self, pdf: bytes) -> bytes:
        """Append validation data for the newest timestamp and a document timestamp over the whole file.

        The first call (right after sealing, whose DSS already holds the seal's and its timestamp's
        chain and revocation data) makes the file B-LTA. Run again before the newest timestamp's or
        the seal's certificate expires, it keeps the file verifiable: each archive timestamp protects
        the validation data and the timestamps before it. The document timestamp is the last thing
        in the file, so it covers the whole file. Raises ``TimestampUnavailable`` if the TSA fails,
        ``InvalidInput`` for a file that is not a sealed PDF, and ``ValueError`` without a TSA and
        validation context.
        """
        if self._timestamper is None or self._vc_factory is None:
            raise ValueError("archive timestamps need a TSA and a validation context")
        try:
            reader = PdfFileReader(BytesIO(pdf), strict=False)
            archived = reader.embedded_timestamp_signatures
        except (PdfError, ValueError) as exc:
            raise InvalidInput("The sealed file is not a readable PDF.", errors=[FieldError("pdf", str(exc))]) from exc
        if archived:
            # Revocation data for the newest archive timestamp, fetched now, goes under the next one.
            updated = BytesIO()
            try:
                add_validation_info(archived[-1], self._vc_factory(), output=updated)
            except (SigningError, PathError, ValidationError) as exc:
                raise _revocation_unavailable(exc) from exc
            pdf = updated.getvalue()
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        keep_pdfa(writer)
        out = BytesIO()
        signers.PdfTimeStamper(self._timestamper).timestamp_pdf(writer, _MD, output=out)
        return out.getvalue()

    def _seal(
        self, writer: IncrementalPdfFileWriter, metadata: SealMetadata, sealed_at: datetime, reserved: int
    ) -> bytes:
        keep_pdfa(writer)
        vc = self._vc_factory() if self._vc_factory is not None else None
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD_NAME,
            md_algorithm=_MD,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=metadata.to_reason(),
            location=self._location,
            # A certification seal tells viewers that any later change (other than LTV data) is tampering.
            certify=True,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
            embed_validation_info=vc is not None,
            validation_context=vc,
        )
        pdf_signer = _TimedPdfSigner(meta, signer=self._signer, timestamper=self._timestamper, sealed_at=sealed_at)
        out = BytesIO()
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=reserved)
        return out.getvalue()


def _open(pdf: bytes) -> IncrementalPdfFileWriter:
    """Open ``pdf`` for an incremental update (``InvalidInput`` if it is no PDF)."""
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError) as exc:
        raise InvalidInput("The document to seal is not a readable PDF.", errors=[FieldError("pdf", str(exc))]) from exc
