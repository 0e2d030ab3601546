"""``/v1/legal-holds`` and ``/v1/retention``: keep records past retention; count retention from the relationship's end.

Legal holds keep a client's, an envelope's or a document's records until released; a retention
change extends the locks of a client's sealed copies when the relationship ends or is renewed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import LegalHolderDep, LegalHoldServiceDep, ReaderDep, RetentionServiceDep
from domain.legal_holds import LegalHold

router = APIRouter(tags=["legal holds and retention"])


class HoldIn(BaseModel):
    """What to hold and why."""

    model_config = ConfigDict(extra="forbid")
    subject_type: Literal["client", "envelope", "document"]
    subject_id: str = Field(min_length=1, max_length=36)
    reason: str = Field(min_length=1, max_length=2000, description="The matter, request or claim")


class ReleaseIn(BaseModel):
    """Why the hold ends."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class HoldOut(BaseModel):
    """A legal hold as recorded."""

    id: str
    subject_type: str
    subject_id: str
    client_id: str
    reason: str
    placed_at: datetime
    placed_by: str
    active: bool
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None

    @classmethod
    def of(cls, hold: LegalHold) -> HoldOut:
        """Build the response from the record."""
        return cls(**hold.__dict__, active=hold.active)


@router.post(
    "/v1/legal-holds",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldOut,
    responses={404: {"description": "No client, envelope or document with that id."}},
)
def place_hold(body: HoldIn, actor: LegalHolderDep, service: LegalHoldServiceDep, response: Response) -> HoldOut:
    """Place a legal hold: every filed version of the subject is held in the object store until released."""
    hold = service.place(actor, body.subject_type, body.subject_id, body.reason)
    response.headers["Location"] = f"/v1/legal-holds/{hold.id}"
    return HoldOut.of(hold)


@router.post("/v1/legal-holds/{hold_id}/release", response_model=HoldOut)
def release_hold(hold_id: str, body: ReleaseIn, actor: LegalHolderDep, service: LegalHoldServiceDep) -> HoldOut:
    """Release a legal hold; versions another active hold covers stay held."""
    return HoldOut.of(service.release(actor, hold_id, body.reason))


@router.get("/v1/legal-holds", response_model=list[HoldOut])
def list_holds(
    _actor: ReaderDep,
    service: LegalHoldServiceDep,
    subject_type: Annotated[Literal["client", "envelope", "document"], Query()],
    subject_id: Annotated[str, Query(min_length=1, max_length=36)],
) -> list[HoldOut]:
    """The holds of a subject, active and released, oldest first."""
    return [HoldOut.of(hold) for hold in service.for_subject(subject_type, subject_id)]


class RetentionIn(BaseModel):
    """When the relationship ends (or, renewed, now ends), and what happened."""

    model_config = ConfigDict(extra="forbid")
    relationship_ends_on: date
    reason: str = Field(min_length=1, max_length=2000, description="Ended, terminated, renewed until ...")


class ExtensionOut(BaseModel):
    """One sealed copy whose Object Lock was extended."""

    key: str
    version_id: str
    kind: str
    retain_until_before: datetime | None
    retain_until: datetime


@router.post("/v1/retention/clients/{client_id}", response_model=list[ExtensionOut])
def relationship_ends(
    client_id: str, body: RetentionIn, actor: LegalHolderDep, service: RetentionServiceDep
) -> list[ExtensionOut]:
    """Count the client's retention from the end of the relationship: locks are extended, never shortened."""
    done = service.relationship_ends(actor, client_id, body.relationship_ends_on, body.reason)
    return [ExtensionOut(**extension.__dict__) for extension in done]
