"""The risk register: one entry per risk-acceptance (decline-of-service) record, and its lifecycle.

A letter is only the printout of a record. The record says which control the MSP recommended, when
it was first recommended, the foreseeable consequences, who approved the residual risk for the
client (name, title, authority) and until when; its lifecycle keeps every transition::

    draft -> sent -> viewed -> accepted | refused-to-sign -> review-due -> renewed | revoked | remediated | expired

Signing accepts the risk; a decline is ``refused-to-sign`` and is kept, because the client was
told in writing. ``renewed`` waits for the renewed letter to be signed (it moves on as a draft
would). ``revoked``, ``remediated`` and ``expired`` are final. The envelope events that mean
``sent`` and ``viewed`` are optional: a letter signed without them goes straight to ``accepted``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.errors import FieldError, InvalidInput, InvalidTransition

WAIVER_TEMPLATE = "waivers/decline-of-service"
MAX_REVIEW_MONTHS = 12


class RiskStatus(StrEnum):
    """Where a risk-acceptance record is in its lifecycle."""

    DRAFT = "draft"
    SENT = "sent"
    VIEWED = "viewed"
    ACCEPTED = "accepted"
    REFUSED = "refused-to-sign"
    REVIEW_DUE = "review-due"
    RENEWED = "renewed"
    REVOKED = "revoked"
    REMEDIATED = "remediated"
    EXPIRED = "expired"


_AWAITING = {RiskStatus.SENT, RiskStatus.VIEWED, RiskStatus.ACCEPTED, RiskStatus.REFUSED}
_CLOSE = {RiskStatus.REVOKED, RiskStatus.REMEDIATED}
ALLOWED: dict[RiskStatus, frozenset[RiskStatus]] = {
    RiskStatus.DRAFT: frozenset(_AWAITING | _CLOSE),
    RiskStatus.SENT: frozenset({RiskStatus.VIEWED, RiskStatus.ACCEPTED, RiskStatus.REFUSED} | _CLOSE),
    RiskStatus.VIEWED: frozenset({RiskStatus.ACCEPTED, RiskStatus.REFUSED} | _CLOSE),
    RiskStatus.ACCEPTED: frozenset({RiskStatus.REVIEW_DUE, RiskStatus.RENEWED, RiskStatus.EXPIRED} | _CLOSE),
    RiskStatus.REFUSED: frozenset({RiskStatus.REVIEW_DUE, RiskStatus.RENEWED} | _CLOSE),
    RiskStatus.REVIEW_DUE: frozenset({RiskStatus.RENEWED, RiskStatus.EXPIRED} | _CLOSE),
    RiskStatus.RENEWED: frozenset(_AWAITING | _CLOSE),
    RiskStatus.REVOKED: frozenset(),
    RiskStatus.REMEDIATED: frozenset(),
    RiskStatus.EXPIRED: frozenset(),
}
OPEN_ACCEPTED = frozenset({RiskStatus.ACCEPTED, RiskStatus.REVIEW_DUE})


def check_transition(current: RiskStatus, target: RiskStatus) -> None:
    """Raise ``InvalidTransition`` unless ``current -> target`` is a lifecycle step."""
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none (final)"
        raise InvalidTransition(f"A risk record that is '{current}' cannot become '{target}' (allowed: {allowed}).")


@dataclass(frozen=True)
class RiskTransition:
    """One step of a record's history: from, to, when, who, why, and the document/envelope involved."""

    seq: int
    from_status: RiskStatus | None
    to_status: RiskStatus
    at: datetime
    actor: str
    reason: str = ""
    envelope_id: str | None = None
    document_id: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class DocumentLink:
    """A letter version printed from the record."""

    document_id: str
    version: int
    record_version: int


@dataclass(frozen=True)
class RiskEntry:
    """One risk-acceptance record of the register."""

    id: str
    record_id: str
    client_id: str
    risk: str
    title: str
    recommended_control: str
    date_first_recommended: date
    consequences: tuple[str, ...]
    approver_name: str
    approver_title: str
    approver_email: str | None
    authority: str
    review_on: date
    status: RiskStatus
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None = None
    refused_at: datetime | None = None
    envelope_id: str | None = None
    signers: tuple[dict[str, str], ...] = ()
    documents: tuple[DocumentLink, ...] = ()
    history: tuple[RiskTransition, ...] = field(default=(), compare=False)

    def can_move(self, target: RiskStatus) -> bool:
        """Return whether ``target`` is a lifecycle step from the current status."""
        return target in ALLOWED[self.status]

    def moved(self, target: RiskStatus, at: datetime, **changes: Any) -> RiskEntry:
        """Return the entry in ``target`` (checked against the lifecycle) with other fields changed."""
        check_transition(self.status, target)
        return replace(self, status=target, updated_at=at, **changes)


AUTHORITY_TEXT = "attests authority to bind the client (decline-of-service letter, authority clause)"


def entry_from_letter(
    *,
    entry_id: str,
    client_id: str,
    variables: dict[str, Any],
    catalogue: dict[str, Any],
    now: datetime,
) -> RiskEntry:
    """Build the draft register entry that a decline-of-service letter's variables describe."""
    risk = str(variables["risk"])
    known = catalogue.get(risk)
    if not isinstance(known, dict):
        raise InvalidInput(f"Unknown risk '{risk}'.", errors=[FieldError("/variables/risk", "not in risks.yaml")])
    approver = variables["approver"]
    consequences = [*known.get("consequences", []), *variables.get("additional_consequences", [])]
    try:
        first = date.fromisoformat(variables["date_first_recommended"])
        review_on = date.fromisoformat(variables["review_date"])
    except ValueError as exc:
        raise InvalidInput(f"A risk record date is not a date: {exc}") from exc
    return RiskEntry(
        id=entry_id,
        record_id=str(variables["record_id"]),
        client_id=client_id,
        risk=risk,
        title=str(variables.get("risk_title") or known.get("title", risk)),
        recommended_control=" ".join(str(variables.get("recommended_control") or known["recommended_control"]).split()),
        date_first_recommended=first,
        consequences=tuple(str(c) for c in consequences),
        approver_name=str(approver["name"]),
        approver_title=str(approver.get("title", "")),
        approver_email=approver.get("email"),
        authority=AUTHORITY_TEXT,
        review_on=review_on,
        status=RiskStatus.DRAFT,
        created_at=now,
        updated_at=now,
    )


def check_review_date(accepted_on: date, review_on: date, *, field: str = "/review_on") -> None:
    """Refuse a review date that is not after ``accepted_on`` or more than 12 months after it.

    ``accepted_on`` is the letter's date (today, when it is printed): a review date in the past would
    make the acceptance lapse before anyone signs, and one years away is not a review (the letter
    promises one within 12 months). ``field`` names the offending input in the 422.
    """
    limit_year = accepted_on.year + 1
    limit = accepted_on.replace(
        year=limit_year, day=min(accepted_on.day, 28) if accepted_on.month == 2 else accepted_on.day
    )
    if review_on <= accepted_on:
        raise InvalidInput(
            f"The review date {review_on} is not after the letter date {accepted_on}; choose a date within the "
            "next 12 months.",
            errors=[FieldError(field, f"must be after {accepted_on} and no later than {limit}")],
        )
    if review_on > limit:
        raise InvalidInput(
            f"The review date {review_on} is more than 12 months after the letter date {accepted_on}; a risk "
            f"acceptance must be reviewed by {limit}.",
            errors=[FieldError(field, f"must be after {accepted_on} and no later than {limit}")],
        )


def normalised_name(name: str) -> str:
    """Return ``name`` as compared for identity: case folded, runs of spaces collapsed, ends trimmed."""
    return " ".join(name.split()).casefold()


def names_match(typed: str, invited: str) -> bool:
    """Tell whether a typed name is the invited person's name (case and spacing aside)."""
    return normalised_name(typed) == normalised_name(invited)


@dataclass(frozen=True)
class Approver:
    """The client's representative a risk letter names as the one who accepts the risk."""

    name: str
    title: str
    email: str | None = None

    @classmethod
    def of_letter(cls, variables: dict[str, Any]) -> Approver:
        """Return the approver a letter's variables name."""
        raw = variables.get("approver") or {}
        return cls(name=str(raw.get("name", "")), title=str(raw.get("title", "")), email=raw.get("email") or None)

    def as_variable(self) -> dict[str, str]:
        """Return the approver as the letter's ``approver`` variable."""
        out = {"name": self.name, "title": self.title}
        if self.email:
            out["email"] = self.email
        return out


def check_approver_signers(approver: Approver, client_signers: list[tuple[int, str, str]]) -> None:
    """Refuse a risk letter's envelope unless its one client signer is the approver the letter names.

    ``client_signers`` are ``(index, name, email)`` of the envelope's client-role signers. Only the
    named approver can accept the risk: anyone else's signature would put a false owner in the register.
    """
    if len(client_signers) != 1:
        raise InvalidInput(
            f"A risk letter is signed for the client by its approver, {approver.name}, alone.",
            errors=[FieldError("/signers", f"exactly one client signer: {approver.name}")],
        )
    index, name, email = client_signers[0]
    errors = []
    if not names_match(name, approver.name):
        errors.append(FieldError(f"/signers/{index}/name", f"must be the letter's approver, {approver.name}"))
    if approver.email and email.strip().casefold() != approver.email.strip().casefold():
        errors.append(FieldError(f"/signers/{index}/email", f"must be the approver's address, {approver.email}"))
    if errors:
        raise InvalidInput(
            f"This letter names {approver.name} as the person who accepts the risk; send it to them, or reassign "
            "the approver first (which prints a new letter version).",
            errors=errors,
        )


REASSIGNABLE = frozenset({RiskStatus.DRAFT, RiskStatus.SENT, RiskStatus.VIEWED, RiskStatus.REFUSED, RiskStatus.RENEWED})


def review_due(entry: RiskEntry, today: date) -> bool:
    """Tell whether an accepted (or refused) record has reached its review date."""
    return entry.status in {RiskStatus.ACCEPTED, RiskStatus.REFUSED} and entry.review_on <= today
