"""Whole-log verification from the exported lines, at close to the speed of hashing them.

``verify_chain`` works on parsed events and has to write each one's canonical bytes again, which
costs several times the hashing. An exported log (``events.jsonl``) already *is* those bytes, so
this module checks it where it lies: the ``hash`` member is cut out of each line (in canonical
JSON a member name preceded by ``,"`` can only be a member, since every quote inside a string is
escaped), the rest is hashed, and the Merkle tree over those hashes is compared with every signed
tree head, a few thousand lines at a time with the per-line work in comprehensions.

Where a signed tree head covers the events, its root already pins every event, its place and
therefore its seq and link (as in Certificate Transparency, which has no hash chain at all), so
``prev_hash`` and ``seq`` are read only for the events after the last signed head, or when a
head has no root (version 1 checkpoints). A root that does not match sends the log to the
careful path below, which does walk every link.

Anything unexpected (a broken hash or link, a line that is not in canonical form) sends the whole
log to the careful path: each line is parsed strictly and ``verify_chain`` says exactly what was
changed. So the fast path only ever confirms; it never explains.
"""

from __future__ import annotations

from binascii import unhexlify
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from hashlib import sha256
from itertools import islice, repeat

from domain.audit.checkpoint import Checkpoint
from domain.audit.event import GENESIS_HASH, AuditEvent, event_from_json_line
from domain.audit.merkle import CompactRange, append_leaves
from domain.audit.verify import ChainVerdict, TamperKind, verify_chain
from domain.errors import InvalidInput

BATCH = 4096  # lines read and hashed at a time


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
    # Links and seqs are read from here on: where no signed tree head vouches for the events (module docstring).
    unsigned_from = signed[-1] + 1 if signed and rooted else 1
    tree = CompactRange()
    link = GENESIS_HASH.encode()
    expected = 1
    matched = 0
    while batch := list(islice(lines, BATCH)):
        # Cut the hash member out of each line and hash the rest: that is the event's hash (and Merkle leaf).
        at = [line.find(b',"hash":"') for line in batch]
        # Every line ends in a newline (a reader that splits at other line breaks, such as \x0b, must not pass).
        if min(at) < 0 or not all(map(bytes.endswith, batch, repeat(b"\n"))):
            raise _Mismatch
        digests = [sha256(line[:i] + line[i + 74 : -1]).digest() for line, i in zip(batch, at, strict=True)]
        # One unhexlify and one join per batch: the per-line call overhead is what costs here.
        if unhexlify(b"".join([line[i + 9 : i + 73] for line, i in zip(batch, at, strict=True)])) != b"".join(digests):
            raise _Mismatch
        first = expected
        expected += len(batch)
        if expected > unsigned_from:
            skip = max(unsigned_from - first, 0)
            if not _links_hold(batch[skip:], at[skip:], digests[skip - 1].hex().encode() if skip else link, first + skip):
                raise _Mismatch
        link = digests[-1].hex().encode()
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
        head_hash=link.decode() if head else None,
        checkpoints_matched=matched,
        message=f"ok: {head} events, {matched} checkpoint(s) matched, Merkle root {tree.root().hex()}",
    )


def _links_hold(batch: list[bytes], at: list[int], link: bytes, first: int) -> bool:
    """Tell whether each line names the line before's hash (``link`` for the first) and carries the next seq."""
    prevs = [link, *[line[i + 9 : i + 73] for line, i in zip(batch[:-1], at, strict=False)]]
    return all(
        [
            line.find(b',"prev_hash":"%b","seq":%d,' % (prev, seq), i) > 0
            for line, i, prev, seq in zip(batch, at, prevs, range(first, first + len(batch)), strict=True)
        ]
    )


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
