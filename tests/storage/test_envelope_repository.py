"""Envelope rows: stored and read back whole; due work is claimed so two run-due processes never share an item."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.envelopes import Envelope, EnvelopeStatus, Signer, SignerRole, SignerStatus
from storage.envelope_repository import SqlEnvelopeRepository
from undersign.runtime import Runtime

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def envelope(expires_at: datetime) -> Envelope:
    """An envelope with one invited signer."""
    envelope_id = str(uuid.uuid4())
    return Envelope(
        id=envelope_id,
        document_id="doc",
        version=1,
        client_id="client",
        template_id="msa/msa",
        template_version="1.0.0",
        document_kind="contract",
        title="MSA",
        status=EnvelopeStatus.SENT,
        message="",
        otp_required=False,
        legal_hold=False,
        sent_key="k",
        sent_version_id="v",
        sent_sha256="0" * 64,
        client_name="Client Ltd",
        msp_name="MSP Ltd",
        created_at=NOW,
        created_by="key:test",
        expires_at=expires_at,
        reminder_every_days=0,
        next_reminder_at=None,
        signers=(
            Signer(
                id=str(uuid.uuid4()),
                envelope_id=envelope_id,
                position=0,
                name="A",
                email="a@x.example",
                title="T",
                role=SignerRole.CLIENT,
                order=1,
                status=SignerStatus.INVITED,
                signature_png=b"\x89PNG",
            ),
        ),
    )


class TestEnvelopeRepository:
    def test_round_trip(self, runtime: Runtime) -> None:
        """An envelope and its signers read back equal to what was stored."""
        stored = envelope(NOW + timedelta(days=1))
        with runtime.sessions.begin() as session:
            SqlEnvelopeRepository(session).add(stored)
        with runtime.sessions() as session:
            assert SqlEnvelopeRepository(session).get(stored.id) == stored

    def test_two_claimers_never_get_the_same_envelope(self, runtime: Runtime) -> None:
        """With one claim open, a second claim skips the locked row (PostgreSQL SKIP LOCKED)."""
        if runtime.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers: a second claimer waits instead of skipping")
        first, second = envelope(NOW - timedelta(days=1)), envelope(NOW - timedelta(hours=1))
        with runtime.sessions.begin() as session:
            repo = SqlEnvelopeRepository(session)
            repo.add(first)
            repo.add(second)
        one, two = runtime.sessions(), runtime.sessions()
        try:
            claimed_one = [e.id for e in SqlEnvelopeRepository(one).claim_due("expire", NOW, 1)]
            claimed_two = [e.id for e in SqlEnvelopeRepository(two).claim_due("expire", NOW, 5)]
            assert claimed_one == [first.id] and claimed_two == [second.id]
        finally:
            one.rollback()
            two.rollback()
            one.close()
            two.close()
