"""``/v1/envelopes``: send a document version for signature, follow it, void it, remind its signers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from api.deps import EnvelopeServiceDep, EnvelopeWriterDep, ReaderDep
from api.schemas.envelopes import EnvelopeCreate, EnvelopeOut, SigningUrlIn, SigningUrlOut, VoidIn
from domain.envelopes import EnvelopeFilter, EnvelopeStatus, SignerRole, SignerSpec
from services.envelopes import EnvelopeRequest

router = APIRouter(prefix="/v1/envelopes", tags=["envelopes"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EnvelopeOut)
def create_envelope(
    body: EnvelopeCreate, actor: EnvelopeWriterDep, service: EnvelopeServiceDep, response: Response
) -> EnvelopeOut:
    """Freeze the document version and e-mail each signer whose turn it is a personal link."""
    envelope = service.create(
        actor,
        EnvelopeRequest(
            document_id=body.document_id,
            version=body.version,
            signers=[
                SignerSpec(
                    name=s.name,
                    email=s.email,
                    title=s.title,
                    role=SignerRole(s.role),
                    order=s.order,
                    language=s.language or body.language,
                )
                for s in body.signers
            ],
            message=body.message,
            expires_in_days=body.expires_in_days,
            reminder_every_days=body.reminder_every_days,
            otp=body.otp,
            legal_hold=body.legal_hold,
            allow_unreviewed=body.allow_unreviewed,
            sender_name=body.sender_name,
            sender_email=body.sender_email,
        ),
    )
    response.headers["Location"] = f"/v1/envelopes/{envelope.id}"
    return EnvelopeOut.of(envelope)


@router.get("", response_model=list[EnvelopeOut])
def list_envelopes(
    _actor: ReaderDep,
    service: EnvelopeServiceDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    status: Annotated[
        Literal["sent", "completing", "completed", "declined", "voided", "expired"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[EnvelopeOut]:
    """List envelopes, newest first, by client and status."""
    where = EnvelopeFilter(client_id=client_id, status=EnvelopeStatus(status) if status else None)
    return [EnvelopeOut.of(e) for e in service.search(where, limit)]


@router.get("/{envelope_id}", response_model=EnvelopeOut)
def get_envelope(envelope_id: str, _actor: ReaderDep, service: EnvelopeServiceDep) -> EnvelopeOut:
    """Return the envelope's status, its signers' states and every event."""
    envelope = service.get(envelope_id)
    return EnvelopeOut.of(envelope, service.events(envelope_id))


@router.get("/{envelope_id}/sealed.pdf", response_class=Response)
def get_sealed_copy(envelope_id: str, _actor: ReaderDep, service: EnvelopeServiceDep) -> Response:
    """Download exactly the sealed copy filed on completion (ETag = its SHA-256)."""
    record, data = service.sealed_copy(envelope_id)
    return Response(
        content=data,
        media_type="application/pdf",
        headers={
            "ETag": f'"{record.sealed.sha256}"',
            "X-Object-Version-Id": record.sealed.version_id,
            "Content-Disposition": f'attachment; filename="{envelope_id}-sealed.pdf"',
        },
    )


@router.post("/{envelope_id}/void", response_model=EnvelopeOut)
def void_envelope(envelope_id: str, body: VoidIn, actor: EnvelopeWriterDep, service: EnvelopeServiceDep) -> EnvelopeOut:
    """Void an envelope that is out for signature (every link stops working)."""
    return EnvelopeOut.of(service.void(actor, envelope_id, body.reason))


@router.post(
    "/{envelope_id}/remind",
    responses={429: {"description": "A reminder went out less than `remind_min_interval_minutes` ago."}},
)
def remind_envelope(envelope_id: str, actor: EnvelopeWriterDep, service: EnvelopeServiceDep) -> dict[str, int]:
    """E-mail every signer whose turn it is a fresh link (at most once per configured interval: else 429)."""
    return {"reminded": service.remind(actor, envelope_id)}


@router.post("/{envelope_id}/signers/{signer_id}/signing-url", response_model=SigningUrlOut)
def embedded_signing_url(
    envelope_id: str,
    signer_id: str,
    actor: EnvelopeWriterDep,
    service: EnvelopeServiceDep,
    body: SigningUrlIn | None = None,
) -> SigningUrlOut:
    """Issue a short-lived signing URL for one signer, to show in an iframe of a listed portal origin.

    The page may be framed only by that origin, and it posts ``{"type": "undersign.completed" |
    "undersign.declined", "envelope_id", "signer_id"}`` to it when the signer signs or declines.
    """
    link = service.signing_url(actor, envelope_id, signer_id, body.origin if body else None)
    return SigningUrlOut(
        url=link.url, envelope_id=envelope_id, signer_id=link.signer_id, origin=link.origin, expires_at=link.expires_at
    )
