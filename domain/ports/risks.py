"""The risk register port."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob

if TYPE_CHECKING:
    from domain.risks import DocumentLink, RiskEntry, RiskStatus, RiskTransition


class RiskRepository(Protocol):
    """The risk register; implementations never commit."""

    def add(self, entry: RiskEntry) -> None:
        """Insert a new entry."""
        ...

    def save(self, entry: RiskEntry) -> None:
        """Store the entry's current fields."""
        ...

    def add_transition(self, risk_id: str, transition: RiskTransition) -> None:
        """Append one lifecycle step."""
        ...

    def link_document(self, risk_id: str, link: DocumentLink) -> None:
        """Record a letter version printed from the entry."""
        ...

    def get(self, risk_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry with documents and history."""
        ...

    def by_record_id(self, record_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry of a record id."""
        ...

    def by_document(self, document_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry a letter document belongs to."""
        ...

    def search(
        self,
        *,
        client_id: str | None = None,
        risk: str | None = None,
        status: RiskStatus | None = None,
        review_before: date | None = None,
        statuses: frozenset[RiskStatus] | None = None,
        limit: int = 200,
    ) -> list[RiskEntry]:
        """Return matching entries, soonest review first."""
        ...

    def due_for_review(self, today: date, limit: int = 100) -> list[RiskEntry]:
        """Claim entries whose review date has come."""
        ...

    def due_for_expiry(self, review_on_or_before: date, limit: int = 100) -> list[RiskEntry]:
        """Claim review-due entries whose review date is on or before the given day."""
        ...
