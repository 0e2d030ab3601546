"""``SqlCheckpointRepository``: the list of signed checkpoints and where each document is filed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from domain.audit import SignedCheckpoint
from domain.audit_log import StoredCheckpoint
from domain.blobs import Retention, StoredBlob
from storage.tables_audit import audit_checkpoints


def _from_row(row: Row[Any]) -> StoredCheckpoint:
    m = row._mapping
    retention = (
        Retention(mode=m["retention_mode"], retain_until=m["retain_until"])
        if m["retention_mode"] and m["retain_until"]
        else None
    )
    return StoredCheckpoint(
        signed=SignedCheckpoint.from_json(m["signed_json"].encode("utf-8")),
        blob=StoredBlob(bucket=m["bucket"], key=m["key"], version_id=m["version_id"], sha256=m["sha256"], size=0),
        retention=retention,
        created_by=m["created_by"],
    )


class SqlCheckpointRepository:
    """Checkpoint listing in the database; it appends only and never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, stored: StoredCheckpoint) -> None:
        """Record a checkpoint filed in the object store."""
        statement = stored.signed.statement
        self._session.execute(
            insert(audit_checkpoints).values(
                seq=statement.seq,
                hash=statement.hash,
                at=statement.at,
                signer_cert_sha256=statement.signer_cert_sha256,
                signed_json=stored.signed.to_json().decode("utf-8"),
                bucket=stored.blob.bucket,
                key=stored.blob.key,
                version_id=stored.blob.version_id,
                sha256=stored.blob.sha256,
                retention_mode=stored.retention.mode if stored.retention else None,
                retain_until=stored.retention.retain_until if stored.retention else None,
                created_by=stored.created_by,
            )
        )

    def all(self) -> list[StoredCheckpoint]:
        """Return every listed checkpoint, ascending seq (then filing order)."""
        rows = self._session.execute(
            select(audit_checkpoints).order_by(audit_checkpoints.c.seq, audit_checkpoints.c.id)
        ).all()
        return [_from_row(row) for row in rows]

    def latest(self) -> StoredCheckpoint | None:
        """Return the checkpoint with the highest seq, or ``None``."""
        row = self._session.execute(
            select(audit_checkpoints).order_by(audit_checkpoints.c.seq.desc(), audit_checkpoints.c.id.desc()).limit(1)
        ).first()
        return _from_row(row) if row else None
