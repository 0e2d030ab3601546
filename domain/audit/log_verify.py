"""Whole-log verification from the exported lines, at close to the speed of hashing them.

``verify_chain`` works on parsed events and has to write each one's canonical bytes again, which
costs several times the hashing. An exported log (``events.jsonl``) already *is* those bytes, so
this module checks it where it lies, a few thousand lines at a time with the per-line work in
comprehensions and the Merkle tree hashed a level at a time (``merkle.complete_subtree_root``).

In a canonical line the ``hash`` member sits right before the first ``,"ip":`` (members are
sorted, nothing before ``ip`` is named so, and ``,"`` never occurs inside a string, where every
quote is escaped). So the line is cut there: the 74 bytes before it must be exactly
``,"hash":"<the hex SHA-256 of the rest>"``, the line must end in a newline, and the rest
without that newline is hashed, which gives the event's hash and Merkle leaf. The tree over
those leaves is compared with every signed tree head.

Where a signed tree head covers the events, its root pins each event's canonical bytes (a
second preimage of SHA-256 aside), and with them its place, seq and link, as in Certificate
Transparency, which has no hash chain at all. The checks above then prove the line is exactly
the canonical line: the bytes outside the cut are the pinned ones, and the hash member can only
be where the canonical form puts it. Events after the last signed head (or all of them, when a
head has no root, as version 1 checkpoints) are pinned by nothing, so each of those lines is
parsed strictly and its seq and link are checked.

Anything unexpected (a broken hash or link, a line that is not in canonical form) sends the whole
log to the careful path: each line is parsed strictly and ``verify_chain`` says exactly what was
changed. So the fast path only ever confirms; it never explains.
"""

from __future__ import annotations

from binascii import hexlify
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from hashlib import sha256
from itertools import islice, repeat
from operator import itemgetter

from domain.audit.checkpoint import Checkpoint
from domain.audit.event import GENESIS_HASH, AuditEvent, event_from_json_line
from domain.audit.merkle import CompactRange, append_leaves
from domain.audit.verify import ChainVerdict, TamperKind, verify_chain
from domain.errors import InvalidInput

BATCH = 4096  # lines read and hashed at a time
_IP = b',"ip":'
_MEMBER = 74  # len(',"hash":"') + 64 hex digits + '"'
_LAST_BYTE = itemgetter(-1)
_NEWLINES = b"\n" * BATCH


class _Mismatch(Exception):
    """The fast path met something it does not explain; the careful path takes over."""


def verify_log_lines(lines: Callable[[], Iterable[bytes]], checkpoints: Sequence[Checkpoint]) -> ChainVerdict:
    """Verify an exported log (one canonical event per line, newline-terminated) against signed checkpoints.

    ``lines`` is called once, or twice when the fast path finds a problem and the careful path
    reads the log again to classify it. Checkpoints must already have had their signatures checked.
    """
    try:
        return _fast(iter(lines()), checkpoints)
    except (_Mismatch, ValueError):  # ValueError: a stored hash that is not hex
        return _careful(lines(), checkpoints)


def _fast(lines: Iterator[bytes], checkpoints: Sequence[Checkpoint]) -> ChainVerdict:
    by_seq: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    signed = sorted(by_seq)
    rooted = all(checkpoint.root is not None for checkpoint in checkpoints)
    # From here on no signed root pins the events, so their lines are parsed (module docstring).
    unsigned_from = signed[-1] + 1 if signed and rooted else 1
    tree = CompactRange()
    link = GENESIS_HASH
    expected = 1
    matched = 0
    while batch := list(islice(lines, BATCH)):
        # Cut each line where its hash member must be; hash the rest: that is the event's hash and Merkle leaf.
        # map() over the unbound methods: no Python frame per line (this loop is the verifier's cost).
        at = list(map(bytes.find, batch, repeat(_IP)))
        # Every line ends in a newline: their last bytes, gathered, are all newlines (an empty line fails the cut).
        if min(at) < _MEMBER or bytes(map(_LAST_BYTE, batch)) != _NEWLINES[: len(batch)]:
            raise _Mismatch
        digests = [sha256(line[: k - _MEMBER] + line[k:-1]).digest() for line, k in zip(batch, at, strict=True)]
        # The cut-out members, joined, against the members those hashes make: one comparison per batch.
        members = b"".join([line[k - _MEMBER : k] for line, k in zip(batch, at, strict=True)])
        if members != b',"hash":"' + hexlify(b"".join(digests), b'"', 32).replace(b'"', b'","hash":"') + b'"':
            raise _Mismatch
        first = expected
        expected += len(batch)
        if expected > unsigned_from:
            skip = max(unsigned_from - first, 0)
            before = digests[skip - 1].hex() if skip else link
            _check_unsigned(batch[skip:], before, first + skip)
        link = digests[-1].hex()
        # Grow the tree in runs that end where signed tree heads sit, and compare each head there.
        done = 0
        for seq in signed[bisect_left(signed, first) : bisect_left(signed, expected)]:
            append_leaves(tree, digests[done : seq - first + 1])
            done = seq - first + 1
            digest, root = digests[done - 1].hex(), tree.root().hex()
            for checkpoint in by_seq[seq]:
                if checkpoint.hash != digest or checkpoint.root not in (None, root):
                    raise _Mismatch
                matched += 1
        append_leaves(tree, digests[done:])
    head = expected - 1
    if signed and signed[-1] > head:
        raise _Mismatch
    return ChainVerdict(
        ok=True,
        checked=head,
        head_seq=head or None,
        head_hash=link if head else None,
        checkpoints_matched=matched,
        message=f"ok: {head} events, {matched} checkpoint(s) matched, Merkle root {tree.root().hex()}",
    )


def _check_unsigned(lines: list[bytes], link: str, seq: int) -> None:
    """Parse lines no signed root pins: each must be canonical, carry the next seq and link to the one before.

    Their hashes were already checked against their contents (a canonical line's cut-out member
    is its ``hash``), so what is left is the form, the seq and the link.
    """
    for line in lines:
        try:
            event = event_from_json_line(line)
        except InvalidInput:
            raise _Mismatch from None
        if event.seq != seq or event.prev_hash != link:
            raise _Mismatch
        link = event.hash
        seq += 1


def _careful(lines: Iterable[bytes], checkpoints: Sequence[Checkpoint]) -> ChainVerdict:
    """Parse every line strictly and let ``verify_chain`` classify what was changed."""
    bad_line: list[int] = []

    def events() -> Iterator[AuditEvent]:
        for number, line in enumerate(lines, start=1):
            try:
                yield event_from_json_line(line)
            except InvalidInput:
                bad_line.append(number)
                return

    verdict = verify_chain(events(), checkpoints)
    if bad_line and verdict.ok:
        number = bad_line[0]
        return ChainVerdict(
            ok=False,
            checked=verdict.checked,
            head_seq=verdict.head_seq,
            head_hash=verdict.head_hash,
            checkpoints_matched=verdict.checkpoints_matched,
            message=f"edited at line {number}: the line is not a canonical audit event",
            first_bad_seq=(verdict.head_seq or 0) + 1,
            kind=TamperKind.EDITED,
        )
    return verdict
