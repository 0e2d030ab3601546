"""Legal holds: place one on a client, an envelope or a document, and release it, with a reason; both recorded.

Placing a hold turns on the object store's legal hold on every version the subject has filed
(document files, the copy sent for signature, the sealed copy). Releasing it turns the store's
hold off only for versions no other active hold still covers. Each change is an audit event
naming the subject, its client and the object versions touched.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Protocol

from domain.actor import Actor
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.legal_holds import HeldObject, LegalHold, check_hold_request
from domain.ports import AuditTrail, Clock
from domain.roles import Permission


class HoldStore(Protocol):
    """The object store's per-version legal hold."""

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Place (``on=True``) or lift a legal hold on one version."""
        ...


class LegalHoldRepository(Protocol):
    """Where holds are kept, and which object versions a subject has filed."""

    def add(self, hold: LegalHold) -> None:
        """Record a new hold."""
        ...

    def get(self, hold_id: str) -> LegalHold | None:
        """Return the hold, or ``None``."""
        ...

    def release(self, hold: LegalHold) -> None:
        """Store the release of ``hold``."""
        ...

    def active(self) -> list[LegalHold]:
        """Return every hold not yet released."""
        ...

    def for_subject(self, subject_type: str, subject_id: str) -> list[LegalHold]:
        """Return the holds of a subject, oldest first."""
        ...

    def client_of(self, subject_type: str, subject_id: str) -> str | None:
        """Return the client a subject belongs to, or ``None`` when there is no such subject."""
        ...

    def objects_of(self, subject_type: str, subject_id: str) -> list[HeldObject]:
        """Return every object version the subject has filed."""
        ...


class LegalHoldService:
    """Place, release and list legal holds."""

    def __init__(self, *, holds: LegalHoldRepository, store: HoldStore, audit: AuditTrail, clock: Clock) -> None:
        self._holds = holds
        self._store = store
        self._audit = audit
        self._clock = clock

    def place(self, actor: Actor, subject_type: str, subject_id: str, reason: str) -> LegalHold:
        """Hold every filed version of the subject; refuse a second active hold on the same subject."""
        _require_hold(actor)
        cleaned = check_hold_request(subject_type, reason)
        client_id = self._holds.client_of(subject_type, subject_id)
        if client_id is None:
            raise NotFound(f"No {subject_type} with id '{subject_id}'.")
        if any(hold.active for hold in self._holds.for_subject(subject_type, subject_id)):
            raise Conflict(f"This {subject_type} is already on legal hold; release that hold first or keep it.")
        objects = self._holds.objects_of(subject_type, subject_id)
        # The store first: a hold recorded but not applied would promise what the store does not keep.
        for held in objects:
            self._store.set_legal_hold(held.key, held.version_id, True)
        hold = LegalHold(
            id=str(uuid.uuid4()),
            subject_type=subject_type,
            subject_id=subject_id,
            client_id=client_id,
            reason=cleaned,
            placed_at=self._clock.now(),
            placed_by=actor.label,
        )
        self._holds.add(hold)
        self._audit.record(
            actor,
            "legal_hold.placed",
            {subject_type: subject_id, "client": client_id, "legal_hold": hold.id},
            payload={"reason": cleaned, "objects": [{"key": o.key, "version_id": o.version_id} for o in objects]},
        )
        return hold

    def release(self, actor: Actor, hold_id: str, reason: str) -> LegalHold:
        """Release a hold; the store's hold stays on for versions another active hold covers."""
        _require_hold(actor)
        hold = self._holds.get(hold_id)
        if hold is None:
            raise NotFound(f"No legal hold with id '{hold_id}'.")
        if not hold.active:
            raise Conflict("This legal hold was already released.")
        cleaned = reason.strip()
        if not cleaned:
            raise InvalidInput(
                "Say why the hold is released.", errors=[FieldError("reason", "e.g. the matter was settled")]
            )
        still_held = {
            held
            for other in self._holds.active()
            if other.id != hold.id
            for held in self._holds.objects_of(other.subject_type, other.subject_id)
        }
        objects = self._holds.objects_of(hold.subject_type, hold.subject_id)
        lifted = [held for held in objects if held not in still_held]
        for held in lifted:
            self._store.set_legal_hold(held.key, held.version_id, False)
        hold = replace(hold, released_at=self._clock.now(), released_by=actor.label, release_reason=cleaned)
        self._holds.release(hold)
        self._audit.record(
            actor,
            "legal_hold.released",
            {hold.subject_type: hold.subject_id, "client": hold.client_id, "legal_hold": hold.id},
            payload={
                "reason": cleaned,
                "lifted": [{"key": o.key, "version_id": o.version_id} for o in lifted],
                "kept_by_other_holds": len(objects) - len(lifted),
            },
        )
        return hold

    def for_subject(self, subject_type: str, subject_id: str) -> list[LegalHold]:
        """Return the holds of a subject, oldest first."""
        check_hold_request(subject_type, "listing")
        return self._holds.for_subject(subject_type, subject_id)


def _require_hold(actor: Actor) -> None:
    """Only roles granted legal holds (administrators) may place or release one; the system may too."""
    actor.require(Permission.LEGAL_HOLD)
