"""The figures ``/metrics`` reads from the database at scrape time.

These are the same for every replica (they come from the shared database, not from one
process's memory), so dashboards and alerts take ``max`` over instances. Each query reads an
indexed column or a small table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select

from storage.tables import audit_head, signed_documents
from storage.tables_audit import audit_checkpoints
from storage.tables_dunning import dunning_steps
from storage.tables_envelopes import envelopes
from storage.tables_integrations import webhook_deliveries, webhook_endpoints


@dataclass(frozen=True)
class DatabaseFigures:
    """What the database says at one moment."""

    audit_chain_length: int
    last_checkpoint_at: datetime | None
    last_checkpoint_seq: int | None
    seals: int
    awaiting_seal: int
    seal_attempts_pending: int
    webhook_deliveries: dict[str, int] = field(default_factory=dict)
    webhook_endpoints_disabled: int = 0
    dunning_steps: dict[tuple[str, str], int] = field(default_factory=dict)


def read_figures(engine: Engine) -> DatabaseFigures:
    """Read every figure in one short read-only connection."""
    with engine.connect() as conn:
        head = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one_or_none() or 0
        last = conn.execute(
            select(audit_checkpoints.c.at, audit_checkpoints.c.seq).order_by(audit_checkpoints.c.seq.desc()).limit(1)
        ).first()
        seals = conn.execute(select(func.count()).select_from(signed_documents)).scalar_one()
        completing = conn.execute(
            select(func.count(), func.coalesce(func.sum(envelopes.c.seal_attempts), 0)).where(
                envelopes.c.status == "completing"
            )
        ).one()
        deliveries: dict[str, int] = dict(
            conn.execute(select(webhook_deliveries.c.status, func.count()).group_by(webhook_deliveries.c.status)).all()
        )
        disabled = conn.execute(
            select(func.count()).select_from(webhook_endpoints).where(webhook_endpoints.c.enabled == 0)
        ).scalar_one()
        steps = {
            (kind, status): count
            for kind, status, count in conn.execute(
                select(dunning_steps.c.kind, dunning_steps.c.status, func.count()).group_by(
                    dunning_steps.c.kind, dunning_steps.c.status
                )
            ).all()
        }
    return DatabaseFigures(
        audit_chain_length=int(head),
        last_checkpoint_at=last[0] if last else None,
        last_checkpoint_seq=int(last[1]) if last else None,
        seals=int(seals),
        awaiting_seal=int(completing[0]),
        seal_attempts_pending=int(completing[1]),
        webhook_deliveries={str(k): int(v) for k, v in deliveries.items()},
        webhook_endpoints_disabled=int(disabled),
        dunning_steps=steps,
    )
