"""The audit fake keeps the contract of ``domain.ports.audit``: a chain the real verifier accepts, payloads found."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.actor import Actor
from domain.audit.checkpoint import Checkpoint, SignedCheckpoint
from domain.audit.verify import verify_chain
from domain.audit_log import EventFilter, StoredCheckpoint
from domain.blobs import StoredBlob
from domain.ports import AuditLog, AuditTrail, CheckpointRepository
from domain.roles import Role
from tests.fakes.audit import FakeAuditTrail, FakeCheckpointRepository
from tests.fakes.clock import FixedClock


class TestFakeAuditTrail:
    def test_events_chain_and_verify(self) -> None:
        """Recorded events count 1, 2, 3, each chained on the previous, and verify_chain accepts them."""
        fake = FakeAuditTrail(FixedClock())
        trail: AuditTrail = fake
        actor = Actor(name="alice", role=Role.BILLING)
        for n in range(3):
            trail.record(actor, "client.created", {"client": f"c{n}"}, payload={"n": n})
        log: AuditLog = fake
        events = list(log.stream())
        assert [e.seq for e in events] == [1, 2, 3] and events[1].prev_hash == events[0].hash
        assert verify_chain(events, []).ok

    def test_find_by_subject_newest_first_with_payloads(self) -> None:
        """Find returns the events of one subject, newest first, each with its stored payload."""
        fake = FakeAuditTrail(FixedClock())
        actor = Actor(name="alice", role=Role.BILLING)
        fake.record(actor, "client.created", {"client": "c1"}, payload={"n": 1})
        fake.record(actor, "client.created", {"client": "c2"})
        fake.record(actor, "client.updated", {"client": "c1"}, payload={"n": 3})
        found = fake.find(EventFilter(subject_id="c1"), 10)
        assert [(e.action, p) for e, p in found] == [("client.updated", {"n": 3}), ("client.created", {"n": 1})]
        assert fake.find(EventFilter(action="client.created", subject_id="c2"), 10)[0][1] is None


class TestFakeCheckpointRepository:
    def test_checkpoints_list_by_seq_and_the_latest_is_the_highest(self) -> None:
        """Checkpoints added out of order are listed by seq; latest is the highest seq; empty is None."""
        port: CheckpointRepository = FakeCheckpointRepository()
        assert port.latest() is None
        blob = StoredBlob("b", "checkpoints/x", "v1", "0" * 64, 1)
        for seq in (5, 2, 9):
            statement = Checkpoint(seq, "a" * 64, datetime(2026, 3, seq, tzinfo=UTC), "b" * 64)
            port.add(StoredCheckpoint(SignedCheckpoint(statement, "ed25519", b"sig"), blob, None, "system:undersign"))
        assert [c.seq for c in port.all()] == [2, 5, 9]
        latest = port.latest()
        assert latest is not None and latest.seq == 9
