"""``SqlRiskRepository``: the risk register, its transition history and the letters printed from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, insert, select, update
from sqlalchemy.orm import Session

from domain.risks import DocumentLink, RiskEntry, RiskStatus, RiskTransition
from storage.tables_risks import risk_documents, risk_transitions, risks

_FIELDS = (
    "record_id",
    "client_id",
    "risk",
    "title",
    "recommended_control",
    "date_first_recommended",
    "approver_name",
    "approver_title",
    "approver_email",
    "authority",
    "review_on",
    "accepted_at",
    "refused_at",
    "envelope_id",
    "created_at",
    "updated_at",
)


def _values(entry: RiskEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in _FIELDS}
    values.update(
        consequences=list(entry.consequences), status=entry.status.value, signers=[dict(s) for s in entry.signers]
    )
    return values


class SqlRiskRepository:
    """Risk entries stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, entry: RiskEntry) -> None:
        """Insert a new entry."""
        self._session.execute(insert(risks).values(id=entry.id, **_values(entry)))

    def save(self, entry: RiskEntry) -> None:
        """Store the entry's current fields."""
        self._session.execute(update(risks).where(risks.c.id == entry.id).values(**_values(entry)))

    def add_transition(self, risk_id: str, transition: RiskTransition) -> None:
        """Append one lifecycle step to the entry's history."""
        self._session.execute(
            insert(risk_transitions).values(
                risk_id=risk_id,
                from_status=transition.from_status.value if transition.from_status else None,
                to_status=transition.to_status.value,
                at=transition.at,
                actor=transition.actor,
                reason=transition.reason,
                envelope_id=transition.envelope_id,
                document_id=transition.document_id,
                version=transition.version,
            )
        )

    def link_document(self, risk_id: str, link: DocumentLink) -> None:
        """Record that a letter version was printed from the entry."""
        self._session.execute(
            insert(risk_documents).values(
                risk_id=risk_id, document_id=link.document_id, version=link.version, record_version=link.record_version
            )
        )

    def get(self, risk_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry with its documents and history, or ``None``."""
        stmt = select(risks).where(risks.c.id == risk_id)
        row = self._session.execute(stmt.with_for_update() if lock else stmt).first()
        return self._full(row) if row else None

    def by_record_id(self, record_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry for a record id such as RA-2026-0042, or ``None``."""
        stmt = select(risks).where(risks.c.record_id == record_id)
        row = self._session.execute(stmt.with_for_update() if lock else stmt).first()
        return self._full(row) if row else None

    def by_document(self, document_id: str, *, lock: bool = False) -> RiskEntry | None:
        """Return the entry a letter document was printed from, or ``None``."""
        risk_id = self._session.execute(
            select(risk_documents.c.risk_id).where(risk_documents.c.document_id == document_id).limit(1)
        ).scalar()
        return self.get(risk_id, lock=lock) if risk_id else None

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
        """Return entries matching every filter, soonest review first (without history)."""
        stmt: Select[Any] = select(risks)
        if client_id:
            stmt = stmt.where(risks.c.client_id == client_id)
        if risk:
            stmt = stmt.where(risks.c.risk == risk)
        if status:
            stmt = stmt.where(risks.c.status == status.value)
        if statuses:
            stmt = stmt.where(risks.c.status.in_([s.value for s in statuses]))
        if review_before:
            stmt = stmt.where(risks.c.review_on < review_before)
        rows = self._session.execute(stmt.order_by(risks.c.review_on, risks.c.id).limit(limit)).all()
        return [self._entry(row) for row in rows]

    def due_for_review(self, today: date, limit: int = 100) -> list[RiskEntry]:
        """Claim accepted or refused entries whose review date has come (SKIP LOCKED: one claimer each)."""
        return self._claim({RiskStatus.ACCEPTED, RiskStatus.REFUSED}, today, limit)

    def due_for_expiry(self, review_on_or_before: date, limit: int = 100) -> list[RiskEntry]:
        """Claim review-due entries whose review date is on or before the given day (SKIP LOCKED)."""
        return self._claim({RiskStatus.REVIEW_DUE}, review_on_or_before, limit)

    def _claim(self, statuses: set[RiskStatus], review_on_or_before: date, limit: int) -> list[RiskEntry]:
        stmt = (
            select(risks)
            .where(risks.c.status.in_([s.value for s in statuses]), risks.c.review_on <= review_on_or_before)
            .order_by(risks.c.review_on, risks.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._full(row) for row in self._session.execute(stmt).all()]

    def _entry(self, row: Row[Any]) -> RiskEntry:
        m = row._mapping
        return RiskEntry(
            id=m["id"],
            status=RiskStatus(m["status"]),
            consequences=tuple(m["consequences"]),
            signers=tuple(dict(s) for s in m["signers"]),
            **{name: m[name] for name in _FIELDS},
        )

    def _full(self, row: Row[Any]) -> RiskEntry:
        entry = self._entry(row)
        links = self._session.execute(
            select(risk_documents)
            .where(risk_documents.c.risk_id == entry.id)
            .order_by(risk_documents.c.record_version, risk_documents.c.version)
        ).all()
        steps = self._session.execute(
            select(risk_transitions).where(risk_transitions.c.risk_id == entry.id).order_by(risk_transitions.c.id)
        ).all()
        history = tuple(
            RiskTransition(
                seq=index,
                from_status=RiskStatus(s._mapping["from_status"]) if s._mapping["from_status"] else None,
                to_status=RiskStatus(s._mapping["to_status"]),
                at=s._mapping["at"],
                actor=s._mapping["actor"],
                reason=s._mapping["reason"],
                envelope_id=s._mapping["envelope_id"],
                document_id=s._mapping["document_id"],
                version=s._mapping["version"],
            )
            for index, s in enumerate(steps, start=1)
        )
        documents = tuple(
            DocumentLink(link._mapping["document_id"], link._mapping["version"], link._mapping["record_version"])
            for link in links
        )
        return replace(entry, documents=documents, history=history)
