"""``SqlDunningRepository``: the once-per-(invoice, step) record of the ladder, approvals and overrides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.dunning.records import StepRecord, StepStatus
from domain.errors import Conflict
from storage.tables import clients
from storage.tables_dunning import dunning_policies, dunning_steps

_CHUNK = 500


def _from_row(row: Row[Any]) -> StepRecord:
    m = row._mapping
    return StepRecord(
        id=m["id"],
        invoice_id=m["invoice_id"],
        client_id=m["client_id"],
        step_key=m["step_key"],
        kind=m["kind"],
        handled_on=m["handled_on"],
        status=StepStatus(m["status"]),
        created_at=m["created_at"],
        template_id=m["template_id"],
        superseded_by=m["superseded_by"],
        document_id=m["document_id"],
        mail_message_id=m["mail_message_id"],
        facts=dict(m["facts"] or {}),
        decided_by=m["decided_by"],
        decided_at=m["decided_at"],
        decision_note=m["decision_note"],
    )


def _values(record: StepRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "invoice_id": record.invoice_id,
        "client_id": record.client_id,
        "step_key": record.step_key,
        "kind": record.kind,
        "handled_on": record.handled_on,
        "status": record.status.value,
        "template_id": record.template_id,
        "superseded_by": record.superseded_by,
        "document_id": record.document_id,
        "mail_message_id": record.mail_message_id,
        "facts": record.facts,
        "decided_by": record.decided_by,
        "decided_at": record.decided_at,
        "decision_note": record.decision_note,
        "created_at": record.created_at,
    }


class SqlDunningRepository:
    """Dunning records stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def steps_for(self, invoice_ids: Sequence[str]) -> dict[str, list[StepRecord]]:
        """Return the step records of each invoice (every id present, possibly with an empty list)."""
        found: dict[str, list[StepRecord]] = {invoice_id: [] for invoice_id in invoice_ids}
        ids = list(invoice_ids)
        for start in range(0, len(ids), _CHUNK):
            stmt = (
                select(dunning_steps)
                .where(dunning_steps.c.invoice_id.in_(ids[start : start + _CHUNK]))
                .order_by(dunning_steps.c.handled_on, dunning_steps.c.created_at)
            )
            for row in self._session.execute(stmt):
                record = _from_row(row)
                found[record.invoice_id].append(record)
        return found

    def add_step(self, record: StepRecord) -> None:
        """Insert ``record``; the UNIQUE (invoice, step) constraint turns a second one into ``Conflict``."""
        try:
            with self._session.begin_nested():
                self._session.execute(insert(dunning_steps).values(**_values(record)))
        except IntegrityError as exc:
            raise Conflict(f"Step '{record.step_key}' of invoice '{record.invoice_id}' is already recorded.") from exc

    def update_step(self, record: StepRecord) -> None:
        """Store the decision on an approval and what performing it produced."""
        values = _values(record)
        del values["id"], values["invoice_id"], values["step_key"], values["created_at"]
        self._session.execute(update(dunning_steps).where(dunning_steps.c.id == record.id).values(**values))

    def claim_step(self, step_id: str) -> StepRecord | None:
        """Return the step locked FOR UPDATE (a second approver waits, then sees the decision)."""
        row = self._session.execute(
            select(dunning_steps).where(dunning_steps.c.id == step_id).with_for_update()
        ).first()
        return _from_row(row) if row else None

    def awaiting_approval(self, limit: int) -> list[StepRecord]:
        """Return the steps waiting for a decision, oldest first."""
        stmt = (
            select(dunning_steps)
            .where(dunning_steps.c.status == StepStatus.AWAITING_APPROVAL.value)
            .order_by(dunning_steps.c.created_at, dunning_steps.c.id)
            .limit(limit)
        )
        return [_from_row(row) for row in self._session.execute(stmt)]

    def steps_of_kind(self, kind: str, status: StepStatus, limit: int) -> list[StepRecord]:
        """Return the steps of ``kind`` in ``status``, oldest first."""
        stmt = (
            select(dunning_steps)
            .where(dunning_steps.c.kind == kind, dunning_steps.c.status == status.value)
            .order_by(dunning_steps.c.created_at, dunning_steps.c.id)
            .limit(limit)
        )
        return [_from_row(row) for row in self._session.execute(stmt)]

    def policy_override(self, client_id: str) -> dict[str, Any] | None:
        """Return the client's ladder override, or ``None``."""
        row = self._session.execute(
            select(dunning_policies.c.override).where(dunning_policies.c.client_id == client_id)
        ).first()
        return dict(row[0]) if row else None

    def set_policy_override(self, client_id: str, override: dict[str, Any], at: datetime, by: str) -> None:
        """Store (replace) the client's ladder override."""
        done = self._session.execute(
            update(dunning_policies)
            .where(dunning_policies.c.client_id == client_id)
            .values(override=override, updated_at=at, updated_by=by)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            self._session.execute(
                insert(dunning_policies).values(client_id=client_id, override=override, updated_at=at, updated_by=by)
            )

    def suspended_client_ids(self) -> list[str]:
        """Return the clients currently marked suspended."""
        stmt = select(clients.c.id).where(clients.c.suspended_since.is_not(None)).order_by(clients.c.id)
        return [row[0] for row in self._session.execute(stmt)]
