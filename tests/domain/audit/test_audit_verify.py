"""verify_chain: ok for an intact chain; otherwise the right tamper kind at the right seq."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from itertools import islice

import pytest

from domain.audit import (
    GENESIS_HASH,
    AuditEvent,
    ChainChecker,
    ChainVerdict,
    Checkpoint,
    TamperKind,
    chain_next,
    verify_chain,
)

from .support import T0, build_chain, draft, edited, iter_chain, rehashed, rewrite_from

N = 12
FINGERPRINT = "f" * 64


def checkpoint(event: AuditEvent) -> Checkpoint:
    """A (trusted) checkpoint of ``event``."""
    return Checkpoint(
        seq=event.seq, hash=event.hash, at=event.at + timedelta(seconds=1), signer_cert_sha256=FINGERPRINT
    )


def broken(verdict: ChainVerdict) -> tuple[TamperKind | None, int | None]:
    """Return the verdict's kind and first bad seq, after checking it is a failure."""
    assert not verdict.ok
    assert verdict.message.startswith(f"{verdict.kind} at seq {verdict.first_bad_seq}: ")
    return verdict.kind, verdict.first_bad_seq


@pytest.fixture(scope="module")
def chain() -> list[AuditEvent]:
    """An intact chain of N events (seq 1..N)."""
    return build_chain(N)


def at(seq: int) -> int:
    """List index of seq in an intact chain."""
    return seq - 1


POSITIONS = [1, 2, 6, N - 1, N]
INNER = [1, 2, 6, N - 1]  # positions with a successor


class TestIntact:
    def test_accepts_an_intact_chain(self, chain: list[AuditEvent]) -> None:
        """An untouched chain is ok, with its head and every event counted."""
        verdict = verify_chain(chain, [checkpoint(chain[4]), checkpoint(chain[-1])])
        assert verdict.ok and verdict.kind is None and verdict.first_bad_seq is None
        assert (verdict.checked, verdict.head_seq, verdict.head_hash) == (N, N, chain[-1].hash)
        assert verdict.checkpoints_matched == 2

    def test_accepts_an_empty_log(self) -> None:
        """No events and no checkpoints is a valid (empty) chain."""
        verdict = verify_chain([], [])
        assert verdict.ok and verdict.head_seq is None and verdict.checked == 0

    def test_verdict_as_dict_is_json_ready(self, chain: list[AuditEvent]) -> None:
        """The verdict serialises with the kind as its string value."""
        data = verify_chain(chain[:3] + chain[4:], []).as_dict()
        assert data["kind"] == "deleted" and data["first_bad_seq"] == 4 and data["ok"] is False


class TestEdited:
    @pytest.mark.parametrize("seq", POSITIONS)
    def test_content_edit_is_found_at_its_seq(self, chain: list[AuditEvent], seq: int) -> None:
        """Changing an event's contents without recomputing the hash is 'edited' at that seq."""
        events = list(chain)
        events[at(seq)] = edited(events[at(seq)], action="envelope.voided")
        assert broken(verify_chain(events, [])) == (TamperKind.EDITED, seq)

    def test_edit_of_the_stored_hash_alone_is_found(self, chain: list[AuditEvent]) -> None:
        """Overwriting only the stored hash is 'edited' at that seq."""
        events = list(chain)
        events[4] = edited(events[4], hash="0" * 64)
        assert broken(verify_chain(events, [])) == (TamperKind.EDITED, 5)

    def test_edit_of_the_seq_field_is_found_where_it_sits(self, chain: list[AuditEvent]) -> None:
        """Renumbering an event without rehashing is 'edited' at the position it occupies."""
        events = list(chain)
        events[4] = edited(events[4], seq=7)
        assert broken(verify_chain(events, [])) == (TamperKind.EDITED, 5)

    @pytest.mark.parametrize("seq", INNER)
    def test_edit_with_recomputed_hash_is_found_at_the_rewritten_seq(self, chain: list[AuditEvent], seq: int) -> None:
        """A careful forger who rehashes one event is caught by its successor and reported at the edit."""
        events = list(chain)
        events[at(seq)] = rehashed(events[at(seq)], user_agent="forged")
        kind, first_bad = broken(verify_chain(events, []))
        assert (kind, first_bad) == (TamperKind.EDITED, seq)

    @pytest.mark.parametrize("seq", [2, 6, N - 1])
    def test_relinked_and_rehashed_event_is_reported_itself(self, chain: list[AuditEvent], seq: int) -> None:
        """An event whose own prev_hash was altered (and rehashed) breaks both its links: it is the edit."""
        events = list(chain)
        events[at(seq)] = rehashed(events[at(seq)], prev_hash="1" * 64)
        assert broken(verify_chain(events, [])) == (TamperKind.EDITED, seq)

    def test_renumbered_and_rehashed_event_is_edited(self, chain: list[AuditEvent]) -> None:
        """Seq 6 renumbered to 5 (and rehashed) is 'edited' at 6, where it belongs."""
        events = [*chain[:5], rehashed(chain[5], seq=5), *chain[6:]]
        assert broken(verify_chain(events, [])) == (TamperKind.EDITED, 6)

    def test_first_event_renumbered_below_1_is_edited_at_1(self, chain: list[AuditEvent]) -> None:
        """A first event rehashed with seq 0 is 'edited' at 1 (and does not crash the classifier)."""
        events = [rehashed(chain[0], seq=0), *chain[1:]]
        assert broken(verify_chain(events, [])) == (TamperKind.EDITED, 1)

    def test_extra_event_before_seq_1_is_inserted(self, chain: list[AuditEvent]) -> None:
        """An event claiming seq 0 put in front of an intact chain is 'inserted' at 1."""
        events = [rehashed(chain[0], seq=0, action="envelope.voided"), *chain]
        assert broken(verify_chain(events, [])) == (TamperKind.INSERTED, 1)

    def test_genesis_with_a_wrong_prev_hash_is_edited_at_1(self, chain: list[AuditEvent]) -> None:
        """The first event must point at 64 zeros."""
        events = [rehashed(chain[0], prev_hash="1" * 64), *chain[1:]]
        assert broken(verify_chain(events, [])) == (TamperKind.EDITED, 1)

    def test_edit_before_a_checkpoint_is_edited_not_mismatch(self, chain: list[AuditEvent]) -> None:
        """An edit that breaks the hash is reported as such even where a checkpoint also disagrees."""
        events = list(chain)
        events[5] = edited(events[5], action="envelope.voided")
        assert broken(verify_chain(events, [checkpoint(chain[5])])) == (TamperKind.EDITED, 6)


class TestDeleted:
    @pytest.mark.parametrize("seq", INNER)
    def test_one_deleted_event_is_found_at_its_seq(self, chain: list[AuditEvent], seq: int) -> None:
        """Removing one event is 'deleted' at the missing seq."""
        events = [event for event in chain if event.seq != seq]
        assert broken(verify_chain(events, [])) == (TamperKind.DELETED, seq)

    def test_a_deleted_run_is_found_at_its_first_seq(self, chain: list[AuditEvent]) -> None:
        """Removing seqs 4..7 is 'deleted' at 4, and the message counts four events."""
        verdict = verify_chain(chain[:3] + chain[7:], [])
        assert broken(verdict) == (TamperKind.DELETED, 4)
        assert "seqs 4..7 missing: 4 event(s)" in verdict.message

    def test_deletion_with_a_relinked_successor_is_still_deleted(self, chain: list[AuditEvent]) -> None:
        """Pointing the successor at the event before the gap (and rehashing it) leaves the seq gap."""
        events = [*chain[:4], rehashed(chain[5], prev_hash=chain[3].hash), *chain[6:]]
        verdict = verify_chain(events, [])
        assert broken(verdict) == (TamperKind.DELETED, 5)
        assert "relinked" in verdict.message

    def test_truncated_tail_is_found_by_a_checkpoint(self, chain: list[AuditEvent]) -> None:
        """Cutting off the last events is 'deleted' just after the new end when a checkpoint covers them."""
        assert broken(verify_chain(chain[:9], [checkpoint(chain[-1])])) == (TamperKind.DELETED, 10)

    def test_truncated_tail_past_the_last_checkpoint_goes_unseen(self, chain: list[AuditEvent]) -> None:
        """Without a checkpoint beyond the cut, a shorter chain is indistinguishable from an older one."""
        assert verify_chain(chain[:9], [checkpoint(chain[5])]).ok

    def test_everything_deleted_is_found_by_a_checkpoint(self, chain: list[AuditEvent]) -> None:
        """An emptied log contradicts a checkpoint: 'deleted' from seq 1."""
        assert broken(verify_chain([], [checkpoint(chain[3])])) == (TamperKind.DELETED, 1)


def intruder(after: AuditEvent, seq: int, prev_hash: str | None = None) -> AuditEvent:
    """A well-formed extra event with a valid hash of its own."""
    made = chain_next(after, draft(99), after.seq + 1, after.at + timedelta(milliseconds=1))
    return rehashed(made, seq=seq, prev_hash=after.hash if prev_hash is None else prev_hash)


class TestInserted:
    @pytest.mark.parametrize("k", [1, 6, N - 1])
    def test_fork_sibling_with_the_next_seq(self, chain: list[AuditEvent], k: int) -> None:
        """An extra event claiming seq k+1 and linking to k is 'inserted' at k+1."""
        events = [*chain[:k], intruder(chain[k - 1], k + 1), *chain[k:]]
        verdict = verify_chain(events, [])
        assert broken(verdict) == (TamperKind.INSERTED, k + 1)
        # With no event after the pair, nothing says which of the two is genuine.
        expected = "cannot tell which" if k == N - 1 else "the first of them is the extra one"
        assert expected in verdict.message

    def test_fork_sibling_after_the_genuine_event(self, chain: list[AuditEvent]) -> None:
        """An extra seq 6 placed after the real seq 6 is 'inserted' at 6, and the second is named the extra."""
        events = [*chain[:6], intruder(chain[4], 6), *chain[6:]]
        verdict = verify_chain(events, [])
        assert broken(verdict) == (TamperKind.INSERTED, 6)
        assert "the second of them is the extra one" in verdict.message

    def test_fork_sibling_before_genesis_successor(self, chain: list[AuditEvent]) -> None:
        """An extra first event (seq 1, genesis link) put before the real one is 'inserted' at 1."""
        fake_first = rehashed(chain[0], action="envelope.voided")
        assert broken(verify_chain([fake_first, *chain], [])) == (TamperKind.INSERTED, 1)

    def test_extra_event_with_a_broken_link(self, chain: list[AuditEvent]) -> None:
        """An extra event claiming seq 6 that links nowhere is 'inserted' at 6, not an edit of seq 5."""
        events = [*chain[:5], intruder(chain[4], 6, prev_hash="9" * 64), *chain[5:]]
        assert broken(verify_chain(events, [])) == (TamperKind.INSERTED, 6)

    def test_extra_event_repeating_the_previous_seq(self, chain: list[AuditEvent]) -> None:
        """An extra event claiming seq 5 right after seq 5 is 'inserted' at 5."""
        events = [*chain[:5], intruder(chain[3], 5), *chain[5:]]
        assert broken(verify_chain(events, [])) == (TamperKind.INSERTED, 5)

    def test_duplicated_row(self, chain: list[AuditEvent]) -> None:
        """An identical copy of an event is 'inserted' at its seq."""
        events = [*chain[:5], chain[4], *chain[5:]]
        verdict = verify_chain(events, [])
        assert broken(verdict) == (TamperKind.INSERTED, 5)
        assert "identical copy" in verdict.message

    def test_extra_event_with_a_far_seq(self, chain: list[AuditEvent]) -> None:
        """An extra event claiming a seq far ahead is 'inserted' where it sits, not a deletion."""
        events = [*chain[:5], intruder(chain[4], 500), *chain[5:]]
        assert broken(verify_chain(events, [])) == (TamperKind.INSERTED, 6)

    def test_copy_of_a_later_event_placed_early(self, chain: list[AuditEvent]) -> None:
        """A copy of seq 9 placed after seq 3 repeats a seq that comes later: 'inserted' at 4."""
        events = [*chain[:3], chain[8], *chain[3:]]
        assert broken(verify_chain(events, [])) == (TamperKind.INSERTED, 4)

    def test_extra_event_with_a_bad_hash_the_chain_skips(self, chain: list[AuditEvent]) -> None:
        """A garbage event the chain carries on without is 'inserted', not 'edited'."""
        events = [*chain[:5], edited(intruder(chain[4], 6), hash="7" * 64), *chain[5:]]
        assert broken(verify_chain(events, [])) == (TamperKind.INSERTED, 6)

    def test_extra_event_repeating_an_old_seq(self, chain: list[AuditEvent]) -> None:
        """An extra event claiming seq 2 after seq 6 is 'inserted' at 7, where it sits."""
        events = [*chain[:6], intruder(chain[0], 2), *chain[6:]]
        assert broken(verify_chain(events, [])) == (TamperKind.INSERTED, 7)

    def test_valid_append_after_the_last_checkpoint_needs_require_covered_head(self, chain: list[AuditEvent]) -> None:
        """A well-linked event appended after the last checkpoint is only flagged when coverage is required."""
        events = [*chain, intruder(chain[-1], N + 1)]
        assert verify_chain(events, [checkpoint(chain[-1])]).ok
        verdict = verify_chain(events, [checkpoint(chain[-1])], require_covered_head=True)
        assert broken(verdict) == (TamperKind.UNCOVERED, N + 1)


class TestReordered:
    @pytest.mark.parametrize("k", [1, 5, N - 1])
    def test_swapped_neighbours(self, chain: list[AuditEvent], k: int) -> None:
        """Swapping seq k and k+1 is 'reordered' at k."""
        events = list(chain)
        events[k - 1], events[k] = events[k], events[k - 1]
        assert broken(verify_chain(events, [])) == (TamperKind.REORDERED, k)

    def test_event_moved_later(self, chain: list[AuditEvent]) -> None:
        """Moving seq 3 to the end is 'reordered' at 3."""
        events = [event for event in chain if event.seq != 3] + [chain[2]]
        assert broken(verify_chain(events, [])) == (TamperKind.REORDERED, 3)

    def test_event_moved_earlier(self, chain: list[AuditEvent]) -> None:
        """Moving seq 10 to just after seq 2 is 'reordered' at 3."""
        events = [*chain[:2], chain[9], *(event for event in chain[2:] if event.seq != 10)]
        assert broken(verify_chain(events, [])) == (TamperKind.REORDERED, 3)

    def test_swapped_blocks(self, chain: list[AuditEvent]) -> None:
        """Exchanging blocks 4..6 and 7..9 is 'reordered' at 4."""
        events = [*chain[:3], *chain[6:9], *chain[3:6], *chain[9:]]
        assert broken(verify_chain(events, [])) == (TamperKind.REORDERED, 4)


class TestCheckpointMismatch:
    def test_consistent_rewrite_is_caught_only_by_the_checkpoint(self) -> None:
        """A rewrite from seq 250 with every hash recomputed passes the links but not the checkpoints."""
        events = build_chain(320)
        checkpoints = [checkpoint(events[99]), checkpoint(events[199]), checkpoint(events[299])]
        forged = rewrite_from(events, 249, action="envelope.voided")
        assert verify_chain(forged, []).ok
        verdict = verify_chain(forged, checkpoints)
        assert broken(verdict) == (TamperKind.CHECKPOINT_MISMATCH, 201)
        assert verdict.checkpoints_matched == 2 and "at seq 300" in verdict.message

    def test_rewrite_before_the_first_checkpoint_is_located_from_seq_1(self, chain: list[AuditEvent]) -> None:
        """Without an earlier matching checkpoint the rewrite may have started at seq 1."""
        forged = rewrite_from(chain, 2, action="envelope.voided")
        assert broken(verify_chain(forged, [checkpoint(chain[-1])])) == (TamperKind.CHECKPOINT_MISMATCH, 1)

    def test_rehashed_last_event_is_caught_by_a_head_checkpoint(self, chain: list[AuditEvent]) -> None:
        """The last event has no successor to betray it; the head checkpoint does."""
        forged = [*chain[:-1], rehashed(chain[-1], action="envelope.voided")]
        assert verify_chain(forged, []).ok
        assert broken(verify_chain(forged, [checkpoint(chain[5]), checkpoint(chain[-1])])) == (
            TamperKind.CHECKPOINT_MISMATCH,
            7,
        )

    def test_two_checkpoints_disagreeing_on_one_seq(self, chain: list[AuditEvent]) -> None:
        """A signed fork (two different hashes for one seq) cannot both match."""
        other = replace(checkpoint(chain[3]), hash="e" * 64)
        assert broken(verify_chain(chain, [checkpoint(chain[3]), other])) == (TamperKind.CHECKPOINT_MISMATCH, 1)


class TestStreaming:
    def test_stops_reading_once_the_verdict_is_settled(self, chain: list[AuditEvent]) -> None:
        """An edit settles the verdict after one look-ahead; the rest of a long stream is not read."""
        consumed = 0

        def events() -> Iterator[AuditEvent]:
            nonlocal consumed
            for event in itertools.chain([edited(chain[0], action="envelope.voided")], islice(iter_chain(N), 1, None)):
                consumed += 1
                yield event

        assert broken(verify_chain(events(), [])) == (TamperKind.EDITED, 1)
        assert consumed == 2 < N

    def test_checker_fed_by_hand_matches_verify_chain(self, chain: list[AuditEvent]) -> None:
        """ChainChecker (for tee-ing a stream) gives the same verdict as verify_chain."""
        events = [*chain[:3], *chain[4:]]
        checker = ChainChecker([])
        for event in events:
            checker.feed(event)
        assert checker.verdict() == verify_chain(events, [])

    def test_memory_does_not_grow_with_the_chain(self) -> None:
        """Peak memory while verifying 3,000 generated events is about that of 300 (nothing is kept per event)."""

        def peak(count: int) -> int:
            tracemalloc.start()
            try:
                assert verify_chain(iter_chain(count), []).ok
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        small, large = peak(300), peak(3_000)
        assert large < small * 1.5 + 64 * 1024


def test_genesis_constant_is_64_zeros() -> None:
    """The documented genesis prev_hash is 64 zeros."""
    assert GENESIS_HASH == "0" * 64 and build_chain(1)[0].prev_hash == GENESIS_HASH and T0.tzinfo is not None
