"""The audit fake keeps the contract of ``domain.ports.audit``: a chain the real verifier accepts, payloads found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.actor import Actor
from domain.audit.checkpoint import Checkpoint, SignedCheckpoint
from domain.audit.merkle import root_from_leaves, verify_consistency, verify_inclusion
from domain.audit.verify import verify_chain
from domain.audit_log import EventFilter, StoredCheckpoint
from domain.blobs import StoredBlob
from domain.ports import AuditLog, AuditTrail, CheckpointRepository
from domain.roles import Role
from tests.fakes.audit import FakeAuditTrail, FakeCheckpointRepository
from tests.fakes.clock import FixedClock
from tests.fakes.unit_of_work import FakeUnitOfWork


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

    def test_tree_heads_and_proofs_match_the_reference_tree(self) -> None:
        """Tree heads equal the root folded from the leaves; inclusion and consistency proofs verify."""
        fake = FakeAuditTrail(FixedClock())
        actor = Actor(name="alice", role=Role.BILLING)
        for n in range(7):
            fake.record(actor, "client.created", {"client": f"c{n % 3}"}, payload={"n": n})
        leaves = [bytes.fromhex(e.hash) for e in fake.stream()]
        log: AuditLog = fake
        for size in range(8):
            assert log.tree_root(size) == root_from_leaves(leaves[:size])
        root = fake.tree_root(7)
        mine = fake.subject_events("client", "c1", 7)
        assert [(e.seq, p) for e, p in mine] == [(2, {"n": 1}), (5, {"n": 4})]
        assert all(verify_inclusion(leaves[e.seq - 1], e.seq - 1, 7, fake.inclusion(e.seq, 7), root) for e, _ in mine)
        assert not verify_inclusion(leaves[0], 1, 7, fake.inclusion(2, 7), root)
        assert verify_consistency(3, 7, fake.tree_root(3), root, fake.consistency(3, 7))

    def test_a_rolled_back_event_leaves_no_tree_node(self) -> None:
        """Nodes are part of the rolled-back tables: after a rollback the next event builds the same tree."""
        fake = FakeAuditTrail(FixedClock())
        actor = Actor(name="alice", role=Role.BILLING)
        fake.record(actor, "client.created", {"client": "c1"})
        database = FakeUnitOfWork([fake])
        with pytest.raises(RuntimeError), database.begin():
            fake.record(actor, "client.created", {"client": "c2"})
            raise RuntimeError("rolled back")
        assert fake.nodes == {}
        fake.record(actor, "client.created", {"client": "c3"})
        assert fake.tree_root(2) == root_from_leaves(bytes.fromhex(e.hash) for e in fake.stream())


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
