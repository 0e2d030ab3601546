"""The audit service driven through fakes: checkpoints filed under retention, and tampering they expose."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from domain.actor import SYSTEM, Actor
from domain.errors import Conflict
from domain.roles import Role
from services.audit import CHECKPOINT_FILED, AuditService
from tests.fakes.audit import FakeAuditTrail, FakeCheckpointRepository
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.clock import FixedClock
from tests.services.service_key import service_key

ALICE = Actor(name="alice", role=Role.SALES)
ALICE_AT_DESK = Actor(name="alice", role=Role.ADMIN, ip="203.0.113.9", user_agent="Firefox")


class Records:
    """An audit chain, its checkpoint list and the object store, over fakes."""

    def __init__(self) -> None:
        self.clock = FixedClock()
        self.trail = FakeAuditTrail(self.clock)
        self.checkpoints = FakeCheckpointRepository()
        self.blobs = FakeBlobStore()
        key, certificate = service_key()
        self.service = AuditService(
            log=self.trail,
            trail=self.trail,
            checkpoints=self.checkpoints,
            blobs=self.blobs,
            clock=self.clock,
            certificate=certificate,
            signing_key=key,
        )

    def events(self, count: int) -> None:
        """Record ``count`` client events, a minute apart."""
        for n in range(count):
            self.clock.advance(minutes=1)
            self.trail.record(ALICE, "client.created", {"client": f"c{n}"}, payload={"n": n})


@pytest.fixture
def records() -> Records:
    """A fresh chain."""
    return Records()


class TestCheckpoints:
    def test_the_head_is_signed_filed_under_retention_and_listed(self, records: Records) -> None:
        """An empty chain has nothing to sign; then the head is filed locked for 8 years and listed once."""
        with pytest.raises(Conflict):
            records.service.checkpoint(SYSTEM)
        records.events(3)
        stored = records.service.checkpoint(SYSTEM)
        assert stored is not None and stored.seq == 3
        [version] = records.blobs.objects[stored.blob.key]
        assert version.retention is not None and version.retention.mode == "GOVERNANCE"
        assert version.retention.retain_until.year == records.clock.now().year + 8
        assert records.service.checkpoint(SYSTEM, only_if_changed=True) is None
        records.events(1)
        assert records.service.checkpoint(SYSTEM, only_if_changed=True) is not None
        # Each head covers the filing event of the one before: 3 events, filed (4), 1 event (5).
        assert [c.seq for c in records.checkpoints.all()] == [3, 5]

    def test_each_filed_checkpoint_is_chained_with_its_object_digest(self, records: Records) -> None:
        """The filing event carries the stored object's SHA-256 in document_sha256 and its version in the payload."""
        records.events(2)
        stored = records.service.checkpoint(ALICE_AT_DESK)
        assert stored is not None
        filed = records.trail.recorded[-1]
        [version] = records.blobs.objects[stored.blob.key]
        assert filed.action == CHECKPOINT_FILED and filed.event.seq == 3
        assert filed.event.document_sha256 == hashlib.sha256(version.data).hexdigest()
        assert filed.subjects == {"checkpoint": filed.event.document_sha256}
        assert filed.payload is not None and filed.payload["object"]["version_id"] == stored.blob.version_id
        assert (filed.payload["tree_size"], filed.payload["root"]) == (2, stored.signed.statement.root)
        # Who asked is named; their address and browser are not (any client's bundle may show this event).
        assert filed.event.actor.id == "alice" and filed.event.ip is None and filed.event.user_agent is None

    def test_a_quiet_log_gets_one_checkpoint_and_one_filing_event(self, records: Records) -> None:
        """Repeated runs sign nothing new until an event other than a filing event is appended."""
        records.events(2)
        assert records.service.checkpoint(SYSTEM, only_if_changed=True) is not None
        for _ in range(3):
            assert records.service.checkpoint(SYSTEM, only_if_changed=True) is None
        assert [r.action for r in records.trail.recorded].count(CHECKPOINT_FILED) == 1
        assert [c.seq for c in records.checkpoints.all()] == [2]
        records.events(1)
        assert records.service.checkpoint(SYSTEM, only_if_changed=True) is not None
        assert records.service.checkpoint(SYSTEM, only_if_changed=True) is None
        assert [r.action for r in records.trail.recorded].count(CHECKPOINT_FILED) == 2
        assert [c.seq for c in records.checkpoints.all()] == [2, 4]
        assert records.service.verify().ok


class TestVerification:
    def test_an_intact_chain_verifies_against_its_checkpoints(self, records: Records) -> None:
        """Five events, a checkpoint and its filing event verify, with the checkpoint read back from the store."""
        records.events(5)
        records.service.checkpoint(SYSTEM)
        result = records.service.verify()
        assert result.ok and result.checkpoints_verified == 1 and result.verdict.checked == 6

    def test_an_edited_event_is_found_at_its_seq(self, records: Records) -> None:
        """Changing the action of event 2 after the fact breaks the chain at seq 2."""
        records.events(4)
        tampered = records.trail.recorded[1]
        records.trail.recorded[1] = replace(tampered, event=replace(tampered.event, action="client.deleted"))
        result = records.service.verify()
        assert not result.ok and result.verdict.first_bad_seq == 2

    def test_a_truncated_chain_is_caught_by_the_checkpoint(self, records: Records) -> None:
        """Dropping the last events goes unseen by the hashes alone but not past a checkpoint that covered them."""
        records.events(4)
        records.service.checkpoint(SYSTEM)
        del records.trail.recorded[2:]
        result = records.service.verify()
        assert not result.ok and result.verdict.first_bad_seq == 3

    def test_without_a_checkpoint_a_truncation_looks_intact(self, records: Records) -> None:
        """The same truncation with no checkpoint verifies: this is what checkpoints are for."""
        records.events(4)
        del records.trail.recorded[2:]
        assert records.service.verify().ok

    def test_a_missing_checkpoint_object_is_a_problem_not_a_pass(self, records: Records) -> None:
        """A listed checkpoint whose object version is gone is reported, and the result is not ok."""
        records.events(2)
        stored = records.service.checkpoint(SYSTEM)
        assert stored is not None
        del records.blobs.objects[stored.blob.key]
        result = records.service.verify()
        assert not result.ok and [p.seq for p in result.problems] == [2]
