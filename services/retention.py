"""Retention from the end of the relationship: a client's sealed contracts are kept N years after it ends.

The law often counts a contract's retention from the end of the relationship, not from signing
(term + 6-7 years). When a relationship ends, or is renewed to a new end date, the sender gives
that date; every sealed copy of the client's documents then gets retain-until = end date + the
years of its kind, *only if that is later* than its current lock: a lock is extended, never
shortened (S3 Object Lock in COMPLIANCE mode could not shorten it anyway). The change is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from domain.actor import Actor
from domain.blobs import Retention
from domain.calendar_years import add_years
from domain.envelopes import RetentionPolicy
from domain.errors import FieldError, InvalidInput, NotFound
from domain.legal_holds import HeldObject
from domain.ports import AuditTrail, Clock
from domain.roles import Permission

MAX_YEARS_AHEAD = 50


class RetentionStore(Protocol):
    """The object store's per-version Object Lock, as retention changes need it."""

    def head(self, key: str, version_id: str | None = None) -> object:
        """Return the version's state (with ``retention_mode`` and ``retain_until``)."""
        ...

    def extend_retention(self, key: str, version_id: str, retention: Retention) -> None:
        """Set a later retain-until on one version."""
        ...


@dataclass(frozen=True)
class Extension:
    """One sealed copy whose lock was extended."""

    key: str
    version_id: str
    kind: str
    retain_until_before: datetime | None
    retain_until: datetime


def years_after(day: date, years: int) -> datetime:
    """Return midnight UTC of ``day`` plus whole years (29 February becomes 28 February)."""
    end = add_years(day, years)
    return datetime(end.year, end.month, end.day, tzinfo=UTC)


class RetentionService:
    """Extends the locks of a client's sealed copies from the end of the relationship."""

    def __init__(
        self,
        *,
        sealed: Callable[[str], Sequence[tuple[str, HeldObject]]],
        client_exists: Callable[[str], bool],
        store: RetentionStore,
        policy: RetentionPolicy,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._sealed = sealed
        self._client_exists = client_exists
        self._store = store
        self._policy = policy
        self._audit = audit
        self._clock = clock

    def relationship_ends(self, actor: Actor, client_id: str, ends_on: date, reason: str) -> list[Extension]:
        """Extend every sealed copy of the client to ``ends_on`` + its kind's years where that is later."""
        actor.require(Permission.LEGAL_HOLD)
        today = self._clock.now().date()
        errors = []
        if ends_on.year > today.year + MAX_YEARS_AHEAD:
            errors.append(FieldError("relationship_ends_on", f"at most {MAX_YEARS_AHEAD} years from today"))
        if not reason.strip():
            errors.append(FieldError("reason", "say what happened: ended, renewed until, terminated"))
        if errors:
            raise InvalidInput("The retention change is incomplete.", errors=errors)
        if not self._client_exists(client_id):
            raise NotFound(f"No client with id '{client_id}'.")
        extended: list[Extension] = []
        for kind, held in self._sealed(client_id):
            until = years_after(ends_on, self._policy.years_for(kind))
            state = self._store.head(held.key, held.version_id)
            current: datetime | None = getattr(state, "retain_until", None)
            if current is not None and current >= until:
                continue  # never shorten
            mode = getattr(state, "retention_mode", None) or self._policy.mode
            self._store.extend_retention(held.key, held.version_id, Retention(mode=mode, retain_until=until))
            extended.append(Extension(held.key, held.version_id, kind, current, until))
        self._audit.record(
            actor,
            "retention.extended",
            {"client": client_id},
            payload={
                "relationship_ends_on": ends_on.isoformat(),
                "reason": reason.strip(),
                "extended": [
                    {
                        "key": e.key,
                        "version_id": e.version_id,
                        "kind": e.kind,
                        "from": e.retain_until_before.isoformat() if e.retain_until_before else None,
                        "to": e.retain_until.isoformat(),
                    }
                    for e in extended
                ],
            },
        )
        return extended
