"""Legal holds: a client's, an envelope's or a document's filed objects kept past any retention date.

A hold is placed and released by a person with a reason; both are recorded. While any hold covers
an object version, the object store's own legal hold is on, so nobody can delete that version,
whatever its retain-until date says (S3 Object Lock legal hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import FieldError, InvalidInput

HOLD_SUBJECTS = ("client", "envelope", "document")
MAX_REASON = 2000


@dataclass(frozen=True)
class LegalHold:
    """One hold on a subject; ``released_at`` is set once it is lifted (the row is kept)."""

    id: str
    subject_type: str
    subject_id: str
    client_id: str
    reason: str
    placed_at: datetime
    placed_by: str
    released_at: datetime | None = None
    released_by: str | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        """True until the hold is released."""
        return self.released_at is None


@dataclass(frozen=True)
class HeldObject:
    """One object version a hold covers."""

    key: str
    version_id: str


def check_hold_request(subject_type: str, reason: str) -> str:
    """Return the cleaned reason, or refuse an unknown subject type or an empty or long reason (422)."""
    errors = []
    if subject_type not in HOLD_SUBJECTS:
        errors.append(FieldError("subject_type", f"must be one of {', '.join(HOLD_SUBJECTS)}"))
    cleaned = reason.strip()
    if not cleaned:
        errors.append(FieldError("reason", "say why the records are held (a matter, a request, a claim)"))
    elif len(cleaned) > MAX_REASON:
        errors.append(FieldError("reason", f"at most {MAX_REASON} characters"))
    if errors:
        raise InvalidInput("The legal hold request is incomplete.", errors=errors)
    return cleaned
