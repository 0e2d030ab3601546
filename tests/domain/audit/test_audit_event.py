"""Audit events: drafting, chaining, payload digests and strict parsing of exported lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.audit import (
    GENESIS_HASH,
    Actor,
    AuditEventDraft,
    chain_next,
    event_from_json_line,
    payload_digest,
)
from domain.errors import Conflict, InvalidInput

from .support import T0, build_chain, draft


class TestDraft:
    def test_normalises_ip_and_sorts_subjects(self) -> None:
        """IP addresses are stored in their canonical spelling and subjects in key order."""
        made = AuditEventDraft(
            actor=Actor("api_key", "k", "admin"),
            action="client.created",
            subjects={"z": "1", "a": "2"},
            ip="2001:0DB8:0000::0001",
        )
        assert made.ip == "2001:db8::1"
        assert list(made.subjects) == ["a", "z"]

    def test_truncates_a_long_user_agent(self) -> None:
        """An over-long user agent is cut to 512 characters instead of blocking the recorded action."""
        made = AuditEventDraft(actor=Actor("system", "scheduler"), action="reminder.sent", user_agent="x" * 5000)
        assert made.user_agent == "x" * 512

    def test_reports_every_bad_field(self) -> None:
        """All invalid fields are named at once."""
        with pytest.raises(InvalidInput) as caught:
            AuditEventDraft(
                actor=Actor("robot", ""),
                action="Sent",
                subjects={"Bad Key": "x", "ok": ""},
                ip="300.1.1.1",
                payload_sha256="ABC",
                document_sha256="g" * 64,
            )
        pointers = {error.pointer for error in caught.value.errors}
        assert pointers == {
            "actor/kind",
            "actor/id",
            "action",
            "subjects/Bad Key",
            "subjects/ok",
            "ip",
            "payload_sha256",
            "document_sha256",
        }

    def test_refuses_lone_surrogates(self) -> None:
        """Text that is not valid Unicode cannot be hashed in UTF-8 and is refused up front."""
        with pytest.raises(InvalidInput):
            AuditEventDraft(actor=Actor("signer", "a\udc80b"), action="envelope.viewed")


class TestChainNext:
    def test_first_event_starts_at_seq_1_with_the_genesis_hash(self) -> None:
        """The first event has seq 1 and prev_hash of 64 zeros, and its hash covers its contents."""
        first = chain_next(None, draft(1), 1, T0)
        assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
        assert first.hash == first.computed_hash() and len(first.hash) == 64

    def test_links_each_event_to_the_previous_hash(self) -> None:
        """Every next event records the previous event's hash."""
        events = build_chain(5)
        assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
        assert len({event.hash for event in events}) == 5

    def test_refuses_a_seq_that_is_not_the_next_one(self) -> None:
        """Chaining on a stale head (another writer appended first) raises Conflict instead of forking."""
        first = chain_next(None, draft(1), 1, T0)
        with pytest.raises(Conflict):
            chain_next(first, draft(2), 3, T0)
        with pytest.raises(Conflict):
            chain_next(None, draft(1), 2, T0)

    def test_time_zone_of_the_input_does_not_change_the_hash(self) -> None:
        """The same instant given in another zone is stored as UTC and hashes identically."""
        in_utc = chain_next(None, draft(1), 1, T0)
        in_cet = chain_next(None, draft(1), 1, T0.astimezone(timezone(timedelta(hours=1))))
        assert in_cet.at.tzinfo is UTC and in_cet.hash == in_utc.hash

    def test_every_member_is_covered_by_the_hash(self) -> None:
        """Changing any single member changes the computed hash."""
        event = build_chain(3)[2]
        variants = {
            "seq": 4,
            "at": event.at + timedelta(microseconds=1),
            "actor": Actor("system", "x"),
            "action": "envelope.voided",
            "subjects": {"envelope": "ENV-X"},
            "ip": "192.0.2.1",
            "user_agent": "other",
            "payload_sha256": "1" * 64,
            "document_sha256": "2" * 64,
            "prev_hash": "3" * 64,
        }
        for name, value in variants.items():
            assert replace(event, **{name: value}).computed_hash() != event.hash, name  # type: ignore[arg-type]


class TestPayloadDigest:
    def test_does_not_depend_on_key_order(self) -> None:
        """The digest is over canonical JSON, so key order in the input does not matter."""
        assert payload_digest({"a": 1, "b": "ü"}) == payload_digest({"b": "ü", "a": 1})
        assert payload_digest({"a": 1}) != payload_digest({"a": "1"})

    def test_refuses_floats(self) -> None:
        """Amounts must be strings or integers; a float is refused."""
        with pytest.raises(InvalidInput):
            payload_digest({"amount": 19.99})


class TestEventFromJsonLine:
    def test_round_trips_an_exported_line(self) -> None:
        """Parsing an exported line gives back an equal event."""
        for event in build_chain(6):
            assert event_from_json_line(event.to_json_line()) == event

    @pytest.mark.parametrize(
        ("old", "new"),
        [
            (b'"seq":', b'"seq": '),  # whitespace
            (b'{"action"', b'{"action":"x","action"'),  # a duplicated member a reader could see first
            (b'"v":1}', b'"v":1,"extra":1}'),  # an unknown member
            (b'"v":1}', b'"v":2}'),  # an unknown version
            (b'"seq":2', b'"seq":2.0'),  # a float
            (b'"seq":2', b'"seq":"2"'),  # a wrong type
            (b'.000002Z"', b'Z"'),  # another spelling of the time
        ],
    )
    def test_refuses_anything_but_the_canonical_form(self, old: bytes, new: bytes) -> None:
        """A line that differs from the canonical form in any way is refused."""
        line = build_chain(2)[1].to_json_line()
        assert old in line
        with pytest.raises(InvalidInput):
            event_from_json_line(line.replace(old, new, 1))


def test_event_times_are_kept_to_the_microsecond() -> None:
    """Microseconds survive chaining and export, since PostgreSQL keeps them and the hash covers them."""
    event = chain_next(None, draft(1), 1, datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=UTC))
    assert b'"at":"2026-01-05T10:00:00.123456Z"' in event.to_json_line()
