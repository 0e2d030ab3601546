"""The audit fake keeps the contract of ``domain.ports.audit``: a chain the real verifier accepts, payloads found."""

from __future__ import annotations

from domain.actor import Actor
from domain.audit.verify import verify_chain
from domain.audit_log import EventFilter
from domain.ports import AuditLog, AuditTrail
from domain.roles import Role
from tests.fakes.audit import FakeAuditTrail
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
