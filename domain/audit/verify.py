"""Verifying the audit chain: ok, or the first seq where it breaks and how.

The checker reads events in the order given (for the database: ``ORDER BY`` insertion, not by
``seq``, or a reordering could not be seen), keeps only the previous event, the first anomaly and
a few flags, and so runs in constant memory however long the chain is; only the checkpoints are
held (one entry per checkpoint).

Per event, in this order: (1) the hash recomputed from the contents must equal the stored hash;
(2) ``seq`` must be the previous seq + 1 (1 first); (3) ``prev_hash`` must be the previous hash
(64 zeros first); (4) where a signed checkpoint names this seq, the hash must be the signed one.
At the end, no checkpoint may lie beyond the last event, and (if asked) the last event must be
covered by a checkpoint. The first failure is classified by looking at the event before it, the
one after it and, for a seq gap, the rest of the stream:

- ``edited``: contents do not match the hash; or the hash was recomputed after an edit, which shows
  as a successor whose ``prev_hash`` no longer matches (the rewritten event is reported);
- ``deleted``: a seq gap whose missing events never appear; or the log ends before a checkpoint;
- ``inserted``: an extra event: it repeats a seq, or the chain carries on from the event before it
  as if it were not there;
- ``reordered``: a seq gap whose missing events appear later, and the jumping event's true
  predecessor is among them;
- ``checkpoint_mismatch``: every link holds but the hash at a checkpoint seq is not the signed one:
  the chain was rewritten consistently after the last matching checkpoint;
- ``uncovered``: (only when asked) the last events are not covered by any checkpoint.

A consistent rewrite of the events after the last checkpoint cannot be told from the truth by
anyone; that is why checkpoints are signed often and at every export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from hashlib import sha256

from domain.audit.canonical import format_time
from domain.audit.checkpoint import Checkpoint
from domain.audit.event import GENESIS_HASH, AuditEvent, event_canonical_text
from domain.audit.merkle import CompactRange


class TamperKind(StrEnum):
    """How the chain was found broken."""

    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    UNCOVERED = "uncovered"


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The outcome of a verification.

    ``checked`` counts events that passed every check before the verdict; ``head_seq`` and
    ``head_hash`` are the last of them. On failure ``first_bad_seq`` is the earliest seq that can
    no longer be trusted and ``kind`` says how; ``message`` says it in words.
    """

    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    checkpoints_matched: int
    message: str
    first_bad_seq: int | None = None
    kind: TamperKind | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the verdict as a JSON-ready dict (for ``verification.json`` and API responses)."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpoints_matched": self.checkpoints_matched,
            "first_bad_seq": self.first_bad_seq,
            "kind": None if self.kind is None else self.kind.value,
            "message": self.message,
        }


_SELF_HASH, _LINK, _BACKWARD, _GAP = "self-hash", "link", "backward", "gap"


@dataclass(slots=True)
class _Anomaly:
    """The first event that failed, its context, and what the rest of the stream says about it."""

    reason: str
    prev: AuditEvent | None
    event: AuditEvent
    prev_confirmed: bool
    after: AuditEvent | None = None
    seq_repeats: bool = False
    predecessor_later: bool = False
    missing_later: bool = False

    @property
    def expected(self) -> int:
        """The seq that should have come at this position."""
        return 1 if self.prev is None else self.prev.seq + 1

    @property
    def wanted_prev_hash(self) -> str:
        """The prev_hash that should have come at this position."""
        return GENESIS_HASH if self.prev is None else self.prev.hash

    def needs_rest(self) -> bool:
        """Tell whether classification still needs events (a gap needs the whole remaining stream)."""
        return self.reason == _GAP or self.after is None

    def observe(self, later: AuditEvent) -> None:
        """Note what a later event tells about the anomaly; constant work, nothing kept but flags."""
        if self.after is None:
            self.after = later
        if self.reason == _GAP:
            gap_seq = self.event.seq
            self.seq_repeats |= later.seq == gap_seq
            self.predecessor_later |= later.seq == gap_seq - 1 and later.hash == self.event.prev_hash
            self.missing_later |= self.expected <= later.seq < gap_seq

    def carries_on_without_event(self) -> bool:
        """Tell whether the next event continues from ``prev``, i.e. the anomalous event is an extra."""
        after = self.after
        return after is not None and after.seq == self.expected and after.prev_hash == self.wanted_prev_hash

    def classify(self) -> tuple[TamperKind, int, str]:
        """Return kind, first bad seq and message for the anomaly."""
        event, expected = self.event, self.expected
        if self.reason == _SELF_HASH:
            if self.carries_on_without_event():
                return (
                    TamperKind.INSERTED,
                    expected,
                    (
                        f"an extra event (stored seq {event.seq}, hash not matching its contents) sits where "
                        f"seq {expected} belongs; the chain carries on without it"
                    ),
                )
            return (
                TamperKind.EDITED,
                expected,
                (
                    f"seq {expected}: the contents do not match the stored hash (stored seq {event.seq}); "
                    "the event was edited"
                ),
            )
        if self.reason == _LINK:
            return self._classify_link()
        if self.reason == _BACKWARD:
            return self._classify_backward()
        return self._classify_gap()

    def _classify_link(self) -> tuple[TamperKind, int, str]:
        """Seq is right and the contents match, but prev_hash does not point at the previous event."""
        event, prev, after = self.event, self.prev, self.after
        if after is not None and after.seq == event.seq and after.prev_hash == self.wanted_prev_hash:
            return (
                TamperKind.INSERTED,
                event.seq,
                (
                    f"an extra event claiming seq {event.seq} does not link to seq {event.seq - 1}; "
                    f"the next event, also seq {event.seq}, does and the chain carries on from it"
                ),
            )
        if prev is None or self.prev_confirmed or (after is not None and after.prev_hash != event.hash):
            # Both links of this event are broken (or its predecessor is vouched for by a signed
            # checkpoint): this event itself was rewritten and its hash recomputed.
            return (
                TamperKind.EDITED,
                event.seq,
                (
                    f"seq {event.seq} does not link to the event before it and was rewritten "
                    "(its hash was recomputed after the edit)"
                ),
            )
        return (
            TamperKind.EDITED,
            prev.seq,
            (
                f"seq {event.seq} records a different predecessor than the event stored as seq {prev.seq}: "
                f"seq {prev.seq} was rewritten and its hash recomputed (or events were removed and the "
                "later ones renumbered)"
            ),
        )

    def _classify_backward(self) -> tuple[TamperKind, int, str]:
        """Classify a seq that repeats or goes back: never first in a permutation, so an extra event."""
        event, prev, expected = self.event, self.prev, self.expected
        if prev is None:  # the very first event claims a seq below 1
            if self.carries_on_without_event():
                return TamperKind.INSERTED, 1, f"an extra event claiming seq {event.seq} precedes seq 1"
            return TamperKind.EDITED, 1, f"the first event carries seq {event.seq} instead of 1 (renumbered)"
        if event.seq == prev.seq:
            if event.hash == prev.hash:
                return TamperKind.INSERTED, event.seq, f"seq {event.seq} appears twice (an identical copy)"
            if event.prev_hash == prev.hash and not self.carries_on_without_event():
                return (
                    TamperKind.EDITED,
                    expected,
                    (
                        f"the event after seq {prev.seq} links to it but carries seq {event.seq}: "
                        f"seq {expected} was renumbered and its hash recomputed"
                    ),
                )
            if self.after is not None and self.after.prev_hash == event.hash:
                which = "the first of them is the extra one (the chain carries on from the second)"
            elif self.after is not None and self.after.prev_hash == prev.hash:
                which = "the second of them is the extra one (the chain carries on from the first)"
            else:
                which = "the log alone cannot tell which of them is genuine"
            return TamperKind.INSERTED, event.seq, f"two events claim seq {event.seq}; {which}"
        return (
            TamperKind.INSERTED,
            expected,
            (f"an event claiming seq {event.seq} appears again after seq {prev.seq}, where seq {expected} belongs"),
        )

    def _classify_gap(self) -> tuple[TamperKind, int, str]:
        """Seq jumps forward: deletion, reordering or an extra event, told apart by the rest of the stream."""
        event, expected = self.event, self.expected
        if self.seq_repeats:
            return (
                TamperKind.INSERTED,
                expected,
                (
                    f"an extra event claiming seq {event.seq} sits where seq {expected} belongs; "
                    f"seq {event.seq} appears again later"
                ),
            )
        if self.predecessor_later:
            return (
                TamperKind.REORDERED,
                expected,
                (
                    f"seq {event.seq} appears where seq {expected} belongs; the events it follows come later "
                    "in the log (events were moved)"
                ),
            )
        if self.missing_later:
            return (
                TamperKind.INSERTED,
                expected,
                (
                    f"an event claiming seq {event.seq} sits where seq {expected} belongs "
                    "and follows no event in the log"
                ),
            )
        missing = event.seq - expected
        span = f"seq {expected}" if missing == 1 else f"seqs {expected}..{event.seq - 1}"
        relinked = " (and the next event was relinked to hide it)" if event.prev_hash == self.wanted_prev_hash else ""
        return TamperKind.DELETED, expected, f"{span} missing: {missing} event(s) deleted{relinked}"


class ChainChecker:
    """Streaming verifier: ``feed`` events in stored order, then ask for the ``verdict``.

    Used directly when the events are also going somewhere else (the bundle export tees them
    through it); otherwise call :func:`verify_chain`. Checkpoints must already have had their
    signatures verified: they are trusted here.
    """

    def __init__(self, checkpoints: Sequence[Checkpoint], *, require_covered_head: bool = False) -> None:
        self._checkpoints: dict[int, list[Checkpoint]] = {}
        for checkpoint in checkpoints:
            self._checkpoints.setdefault(checkpoint.seq, []).append(checkpoint)
        self._require_covered_head = require_covered_head
        self._prev: AuditEvent | None = None
        self._checked = 0
        self._matched = 0
        self._confirmed_seq = 0
        self._anomaly: _Anomaly | None = None
        self._verdict: ChainVerdict | None = None
        # The Merkle tree is rebuilt only when a checkpoint signs a tree head to compare with.
        self._tree = CompactRange() if any(c.root is not None for c in checkpoints) else None

    @property
    def done(self) -> bool:
        """Tell whether further events can no longer change the verdict."""
        return self._verdict is not None or (self._anomaly is not None and not self._anomaly.needs_rest())

    def feed(self, event: AuditEvent) -> None:
        """Check the next event of the stream."""
        if self._verdict is not None or self._anomaly is not None:
            if self._anomaly is not None and self._verdict is None:
                self._anomaly.observe(event)
            return
        prev = self._prev
        expected, link = (1, GENESIS_HASH) if prev is None else (prev.seq + 1, prev.hash)
        # The hot path: inlined AuditEvent.computed_hash (a million calls add up).
        if sha256(event_canonical_text(event, None).encode("utf-8", "surrogatepass")).hexdigest() != event.hash:
            reason = _SELF_HASH
        elif event.seq != expected:
            reason = _GAP if event.seq > expected else _BACKWARD
        elif event.prev_hash != link:
            reason = _LINK
        else:
            if self._tree is not None:
                self._tree.append(bytes.fromhex(event.hash))
            if event.seq in self._checkpoints:
                self._check_checkpoints(event)
            self._prev = event
            self._checked += 1
            return
        confirmed = prev is not None and prev.seq == self._confirmed_seq
        self._anomaly = _Anomaly(reason, prev, event, confirmed)

    def _check_checkpoints(self, event: AuditEvent) -> None:
        """Compare a linked event with the checkpoints signed for its seq."""
        signed_here = self._checkpoints[event.seq]
        for checkpoint in signed_here:
            if checkpoint.root is not None and self._tree is not None and checkpoint.root != self._tree.root().hex():
                self._verdict = self._failure(
                    TamperKind.CHECKPOINT_MISMATCH,
                    self._confirmed_seq + 1,
                    f"every link holds, but at seq {event.seq} the Merkle tree head differs from the one signed "
                    f"at {format_time(checkpoint.at)}: events up to seq {event.seq} were rewritten",
                )
                return
            if checkpoint.hash != event.hash:
                self._verdict = self._failure(
                    TamperKind.CHECKPOINT_MISMATCH,
                    self._confirmed_seq + 1,
                    f"every link holds, but at seq {event.seq} the hash differs from the checkpoint signed "
                    f"at {format_time(checkpoint.at)}: events after seq {self._confirmed_seq} were "
                    "rewritten consistently (hashes recomputed)",
                )
                return
        self._matched += len(signed_here)
        self._confirmed_seq = event.seq

    def verdict(self) -> ChainVerdict:
        """Return the verdict for everything fed so far, treating it as the whole stream."""
        if self._verdict is not None:
            return self._verdict
        if self._anomaly is not None:
            return self._failure(*self._anomaly.classify())
        head = 0 if self._prev is None else self._prev.seq
        beyond = [seq for seq in self._checkpoints if seq > head]
        if beyond:
            return self._failure(
                TamperKind.DELETED,
                head + 1,
                f"the log ends at seq {head} but a signed checkpoint covers seq {max(beyond)}: "
                "the events after it were deleted",
            )
        if self._require_covered_head and head > self._confirmed_seq:
            return self._failure(
                TamperKind.UNCOVERED,
                self._confirmed_seq + 1,
                f"seqs {self._confirmed_seq + 1}..{head} are not covered by a signed checkpoint",
            )
        return ChainVerdict(
            ok=True,
            checked=self._checked,
            head_seq=None if self._prev is None else self._prev.seq,
            head_hash=None if self._prev is None else self._prev.hash,
            checkpoints_matched=self._matched,
            message=f"ok: {self._checked} events, {self._matched} checkpoint(s) matched",
        )

    def _failure(self, kind: TamperKind, first_bad_seq: int, message: str) -> ChainVerdict:
        """Build a failed verdict at the current position."""
        return ChainVerdict(
            ok=False,
            checked=self._checked,
            head_seq=None if self._prev is None else self._prev.seq,
            head_hash=None if self._prev is None else self._prev.hash,
            checkpoints_matched=self._matched,
            message=f"{kind.value} at seq {first_bad_seq}: {message}",
            first_bad_seq=first_bad_seq,
            kind=kind,
        )


def verify_chain(
    events: Iterable[AuditEvent],
    checkpoints: Sequence[Checkpoint],
    *,
    require_covered_head: bool = False,
) -> ChainVerdict:
    """Verify ``events`` (in stored order, the whole chain from seq 1) against signature-checked checkpoints.

    Streams: memory stays constant in the number of events. Stops reading as soon as the verdict
    is settled (a seq gap needs the rest of the stream to tell deletion from reordering).
    """
    checker = ChainChecker(checkpoints, require_covered_head=require_covered_head)
    for event in events:
        checker.feed(event)
        if checker.done:
            break
    return checker.verdict()
