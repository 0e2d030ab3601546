"""``/v1/audit``: verify the chain, search events, sign checkpoints on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime

from api.deps import AuditServiceDep, CheckpointerDep, ReaderDep
from domain.audit_log import EventFilter, StoredCheckpoint
from domain.errors import FieldError, InvalidInput

router = APIRouter(prefix="/v1/audit", tags=["audit"])


def checkpoint_out(stored: StoredCheckpoint) -> dict[str, Any]:
    """Return a filed checkpoint as JSON: the signed document and where it is locked."""
    return {
        "seq": stored.seq,
        "hash": stored.signed.statement.hash,
        "at": stored.signed.statement.to_json_dict()["at"],
        "signer_cert_sha256": stored.signed.statement.signer_cert_sha256,
        "signed": stored.signed.to_json().decode("utf-8"),
        "object": {
            "bucket": stored.blob.bucket,
            "key": stored.blob.key,
            "version_id": stored.blob.version_id,
            "sha256": stored.blob.sha256,
            "retention_mode": stored.retention.mode if stored.retention else None,
            "retain_until": stored.retention.retain_until.isoformat() if stored.retention else None,
        },
        "created_by": stored.created_by,
    }


@router.post("/checkpoints", status_code=status.HTTP_201_CREATED)
def create_checkpoint(actor: CheckpointerDep, service: AuditServiceDep, response: Response) -> dict[str, Any]:
    """Sign the chain head with the service key and file it in the object store under Object Lock."""
    stored = service.checkpoint(actor)
    assert stored is not None
    response.headers["Location"] = "/v1/audit/checkpoints"
    return checkpoint_out(stored)


@router.get("/checkpoints")
def list_checkpoints(_actor: ReaderDep, service: AuditServiceDep) -> dict[str, Any]:
    """List the signed checkpoints read back from the object store, and any that failed to verify."""
    good, other, problems = service.trusted_checkpoints()
    return {
        "items": [{"signed": signed.to_json().decode("utf-8"), "seq": signed.statement.seq} for signed in good],
        "other_certificate": other,
        "problems": [{"seq": p.seq, "key": p.key, "version_id": p.version_id, "reason": p.reason} for p in problems],
    }


@router.get("/verify")
def verify(_actor: ReaderDep, service: AuditServiceDep) -> dict[str, object]:
    """Verify the whole chain against the signed checkpoints: ok, or the first bad seq and how it broke."""
    return service.verify().as_dict()


def _subject_filter(subject: str | None) -> tuple[str | None, str | None]:
    if not subject:
        return None, None
    kind, sep, ident = subject.partition(":")
    if sep and kind and ident and kind.replace("_", "").isalnum() and kind.islower():
        return kind, ident
    return None, subject


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or not 0 < int(cursor) < 2**63:
        raise InvalidInput("The cursor is not one this API handed out.", errors=[FieldError("query:cursor", "bad")])
    return int(cursor)


@router.get("/events")
def search_events(
    _actor: ReaderDep,
    service: AuditServiceDep,
    subject: Annotated[
        str | None, Query(max_length=250, description="A subject id, or type:id such as client:4f1c...")
    ] = None,
    actor: Annotated[str | None, Query(max_length=200, description="Actor id (key name, signer, component)")] = None,
    action: Annotated[str | None, Query(max_length=100, description="Action, e.g. document.created")] = None,
    since: Annotated[AwareDatetime | None, Query(alias="from", description="From this time (inclusive)")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to", description="Before this time (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=20, description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """Search events newest first, one page at a time (keyset pagination on seq)."""
    subject_type, subject_id = _subject_filter(subject)
    page = service.search(
        EventFilter(
            subject_type=subject_type,
            subject_id=subject_id,
            actor=actor,
            action=action,
            since=since,
            until=until,
            before_seq=_cursor(cursor),
        ),
        limit,
    )
    return {
        "items": [{**event.to_json_dict(), "payload": payload} for event, payload in page.items],
        "next_cursor": None if page.next_before_seq is None else str(page.next_before_seq),
    }
