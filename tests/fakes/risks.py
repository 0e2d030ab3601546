"""An in-memory ``RiskRepository``: entries, their letters and their kept history, read as the SQL one reads them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import ClassVar

from domain.errors import Conflict
from domain.risks import DocumentLink, RiskEntry, RiskStatus, RiskTransition
from tests.fakes.unit_of_work import Transactional


class FakeRiskRepository(Transactional):
    """The register in dicts; ``get`` and the claims return letters and history, ``search`` the bare entries."""

    TABLES: ClassVar[tuple[str, ...]] = ("entries", "links", "transitions")

    def __init__(self) -> None:
        self.entries: dict[str, RiskEntry] = {}
        self.links: dict[str, list[DocumentLink]] = {}
        self.transitions: dict[str, list[RiskTransition]] = {}

    def add(self, entry: RiskEntry) -> None:
        """Insert a new entry; a record id already stored is a ``Conflict`` (it is unique)."""
        if entry.id in self.entries or any(e.record_id == entry.record_id for e in self.entries.values()):
            raise Conflict(f"Risk record {entry.record_id} already exists.")
        self.entries[entry.id] = replace(entry, documents=(), history=())

    def save(self, entry: RiskEntry) -> None:
        """Store the entry's current fields (its letters and history are kept apart)."""
        if entry.id in self.entries:
            self.entries[entry.id] = replace(entry, documents=(), history=())

    def add_transition(self, risk_id: str, transition: RiskTransition) -> None:
        """Append one lifecycle step."""
        self.transitions.setdefault(risk_id, []).append(transition)

    def link_document(self, risk_id: str, link: DocumentLink) -> None:
        """Record a letter version printed from the entry."""
        self.links.setdefault(risk_id, []).append(link)

    def _full(self, entry: RiskEntry) -> RiskEntry:
        links = sorted(self.links.get(entry.id, []), key=lambda link: (link.record_version, link.version))
        # Numbered as stored, from 1, as the SQL repository numbers them.
        history = tuple(replace(t, seq=n) for n, t in enumerate(self.transitions.get(entry.id, []), start=1))
        return replace(entry, documents=tuple(links), history=history)

    def get(self, risk_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry with letters and history, or ``None``."""
        entry = self.entries.get(risk_id)
        return self._full(entry) if entry else None

    def by_record_id(self, record_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry of a record id, or ``None``."""
        entry = next((e for e in self.entries.values() if e.record_id == record_id), None)
        return self._full(entry) if entry else None

    def by_document(self, document_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry a letter document belongs to, or ``None``."""
        for risk_id, links in self.links.items():
            if any(link.document_id == document_id for link in links):
                return self.get(risk_id)
        return None

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
        """Return matching entries (without letters and history), soonest review first."""
        found = [
            e
            for e in self.entries.values()
            if (client_id is None or e.client_id == client_id)
            and (risk is None or e.risk == risk)
            and (status is None or e.status is status)
            and (not statuses or e.status in statuses)
            and (review_before is None or e.review_on < review_before)
        ]
        return sorted(found, key=lambda e: (e.review_on, e.id))[:limit]

    def _claim(self, statuses: set[RiskStatus], on_or_before: date, limit: int) -> list[RiskEntry]:
        found = [e for e in self.entries.values() if e.status in statuses and e.review_on <= on_or_before]
        return [self._full(e) for e in sorted(found, key=lambda e: (e.review_on, e.id))[:limit]]

    def due_for_review(self, today: date, limit: int = 100) -> list[RiskEntry]:
        """Return accepted or refused entries whose review date has come."""
        return self._claim({RiskStatus.ACCEPTED, RiskStatus.REFUSED}, today, limit)

    def due_for_expiry(self, review_on_or_before: date, limit: int = 100) -> list[RiskEntry]:
        """Return review-due entries whose review date is on or before the given day."""
        return self._claim({RiskStatus.REVIEW_DUE}, review_on_or_before, limit)
