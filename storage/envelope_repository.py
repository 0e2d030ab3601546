"""``SqlEnvelopeRepository``: envelopes, signers, hashed link tokens and envelope events. It never commits."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from domain.envelopes import (
    Envelope,
    EnvelopeEvent,
    EnvelopeFilter,
    EnvelopeStatus,
    LinkGrant,
    Signer,
    SignerRole,
    SignerStatus,
)
from storage.settled_rows import SettledRows
from storage.tables_envelopes import envelope_events, envelope_signers, envelope_tokens, envelopes

_ENVELOPE_COLUMNS = [f.name for f in fields(Envelope) if f.name != "signers"]
_SIGNER_COLUMNS = [f.name for f in fields(Signer) if f.name != "order"]


def _envelope_values(envelope: Envelope) -> dict[str, Any]:
    values = {name: getattr(envelope, name) for name in _ENVELOPE_COLUMNS}
    values["status"] = envelope.status.value
    return values


def _signer_values(signer: Signer) -> dict[str, Any]:
    values = {name: getattr(signer, name) for name in _SIGNER_COLUMNS}
    values["role"] = signer.role.value
    values["status"] = signer.status.value
    values["signing_order"] = signer.order
    values["viewed_pages"] = ",".join(str(p) for p in signer.viewed_pages) or None
    values["delivered_views"] = ",".join(signer.delivered_views) or None
    return values


def _signer(row: Row[Any]) -> Signer:
    m = dict(row._mapping)
    m["order"] = m.pop("signing_order")
    m["role"] = SignerRole(m["role"])
    m["status"] = SignerStatus(m["status"])
    m["viewed_pages"] = tuple(int(p) for p in m["viewed_pages"].split(",")) if m["viewed_pages"] else ()
    m["delivered_views"] = tuple(m["delivered_views"].split(",")) if m["delivered_views"] else ()
    if m["signature_png"] is not None:
        m["signature_png"] = bytes(m["signature_png"])
    return Signer(**m)


def _envelope(row: Row[Any], signers: tuple[Signer, ...]) -> Envelope:
    m = dict(row._mapping)
    m["status"] = EnvelopeStatus(m["status"])
    return Envelope(**m, signers=signers)


class SqlEnvelopeRepository:
    """Envelopes stored with SQLAlchemy; events are only ever inserted."""

    def __init__(self, session: Session, settled: SettledRows | None = None) -> None:
        self._session = session
        # A grant row is only ever inserted, never changed: a request that asks for the same link several
        # times (its language, its signer, then the locked step) reads it once, and with the process's
        # ``settled`` rows, so do the page loads that follow.
        self._settled = settled if settled is not None else SettledRows(max_entries=64)

    def add(self, envelope: Envelope) -> None:
        """Insert an envelope and its signers."""
        self._session.execute(insert(envelopes).values(**_envelope_values(envelope)))
        for signer in envelope.signers:
            self._session.execute(insert(envelope_signers).values(**_signer_values(signer)))

    def update(self, envelope: Envelope) -> None:
        """Store the envelope's fields and every signer's fields."""
        values = _envelope_values(envelope)
        values.pop("id")
        self._session.execute(update(envelopes).where(envelopes.c.id == envelope.id).values(**values))
        for signer in envelope.signers:
            self.update_signer(signer)

    def update_signer(self, signer: Signer) -> None:
        """Store one signer's fields."""
        values = _signer_values(signer)
        values.pop("id")
        self._session.execute(update(envelope_signers).where(envelope_signers.c.id == signer.id).values(**values))

    def _signers(self, envelope_id: str) -> tuple[Signer, ...]:
        rows = self._session.execute(
            select(envelope_signers)
            .where(envelope_signers.c.envelope_id == envelope_id)
            .order_by(envelope_signers.c.position)
        )
        return tuple(_signer(row) for row in rows)

    def get(self, envelope_id: str) -> Envelope | None:
        """Return the envelope with its signers, or ``None``."""
        row = self._session.execute(select(envelopes).where(envelopes.c.id == envelope_id)).first()
        return _envelope(row, self._signers(envelope_id)) if row else None

    def lock(self, envelope_id: str) -> Envelope | None:
        """Return the envelope locked FOR UPDATE (PostgreSQL; SQLite serialises writers already)."""
        row = self._session.execute(select(envelopes).where(envelopes.c.id == envelope_id).with_for_update()).first()
        return _envelope(row, self._signers(envelope_id)) if row else None

    def add_token(
        self,
        token_hash: str,
        signer_id: str,
        envelope_id: str,
        at: datetime,
        *,
        expires_at: datetime | None = None,
        frame_origin: str | None = None,
    ) -> None:
        """Record the hash of a link token issued to a signer (an embedded one with its end and framing origin)."""
        self._session.execute(
            insert(envelope_tokens).values(
                token_hash=token_hash,
                signer_id=signer_id,
                envelope_id=envelope_id,
                issued_at=at,
                expires_at=expires_at,
                frame_origin=frame_origin,
            )
        )

    def grant(self, token_hash: str) -> LinkGrant | None:
        """Return what a token hash opens, or ``None``."""
        known: LinkGrant | None = self._settled.get(("grant", token_hash))
        if known is not None:
            return known
        t = envelope_tokens.c
        row = self._session.execute(
            select(t.envelope_id, t.signer_id, t.expires_at, t.frame_origin).where(t.token_hash == token_hash)
        ).first()
        if row is None:
            return None  # not remembered: the link may be issued later in this session
        grant = LinkGrant(row[0], row[1], row[2], row[3])
        self._settled.keep(("grant", token_hash), grant)
        return grant

    def by_token(self, token_hash: str) -> tuple[str, str] | None:
        """Return ``(envelope_id, signer_id)`` of a token hash, or ``None``."""
        row = self._session.execute(
            select(envelope_tokens.c.envelope_id, envelope_tokens.c.signer_id).where(
                envelope_tokens.c.token_hash == token_hash
            )
        ).first()
        return (row[0], row[1]) if row else None

    def add_event(self, event: EnvelopeEvent) -> None:
        """Append one envelope event."""
        self._session.execute(
            insert(envelope_events).values(
                envelope_id=event.envelope_id,
                signer_id=event.signer_id,
                at=event.at,
                action=event.action,
                actor=event.actor,
                ip=event.ip,
                user_agent=event.user_agent,
                detail=dict(event.detail),
            )
        )

    def events(self, envelope_id: str) -> list[EnvelopeEvent]:
        """Return the envelope's events in the order they happened."""
        rows = self._session.execute(
            select(envelope_events).where(envelope_events.c.envelope_id == envelope_id).order_by(envelope_events.c.id)
        )
        return [
            EnvelopeEvent(
                envelope_id=r.envelope_id,
                at=r.at,
                action=r.action,
                actor=r.actor,
                signer_id=r.signer_id,
                ip=r.ip,
                user_agent=r.user_agent,
                detail=dict(r.detail),
            )
            for r in rows
        ]

    def search(self, where: EnvelopeFilter, limit: int) -> list[Envelope]:
        """Return envelopes matching ``where``, newest first."""
        stmt = select(envelopes)
        if where.client_id:
            stmt = stmt.where(envelopes.c.client_id == where.client_id)
        if where.status:
            stmt = stmt.where(envelopes.c.status == where.status.value)
        stmt = stmt.order_by(envelopes.c.created_at.desc(), envelopes.c.id.desc()).limit(limit)
        return [_envelope(row, self._signers(row._mapping["id"])) for row in self._session.execute(stmt).all()]

    def open_for_document(self, document_id: str, version: int) -> list[str]:
        """Return the ids of envelopes over this document version that are not finished."""
        rows = self._session.execute(
            select(envelopes.c.id).where(
                envelopes.c.document_id == document_id,
                envelopes.c.version == version,
                envelopes.c.status.in_([EnvelopeStatus.SENT.value, EnvelopeStatus.COMPLETING.value]),
            )
        )
        return [row[0] for row in rows]

    def claim_due(self, kind: str, now: datetime, limit: int) -> list[Envelope]:
        """Lock and return up to ``limit`` envelopes with due work of ``kind`` (expire, remind, seal).

        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: another ``run-due`` process skips what this one holds,
        so two hosts never send the same reminder or seal the same envelope twice.
        """
        stmt = select(envelopes)
        if kind == "expire":
            stmt = stmt.where(envelopes.c.status == EnvelopeStatus.SENT.value, envelopes.c.expires_at <= now)
        elif kind == "remind":
            stmt = stmt.where(
                envelopes.c.status == EnvelopeStatus.SENT.value,
                envelopes.c.next_reminder_at.is_not(None),
                envelopes.c.next_reminder_at <= now,
                envelopes.c.expires_at > now,
            )
        elif kind == "seal":
            stmt = stmt.where(envelopes.c.status == EnvelopeStatus.COMPLETING.value)
        else:
            raise ValueError(f"unknown due work {kind!r}")
        stmt = stmt.order_by(envelopes.c.created_at).limit(limit).with_for_update(skip_locked=True)
        rows = self._session.execute(stmt).all()
        return [_envelope(row, self._signers(row._mapping["id"])) for row in rows]
