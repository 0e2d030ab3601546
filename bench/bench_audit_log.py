"""Benchmark: whole-log verification (hash chain + Merkle tree + signed tree heads) against a plain hashlib loop.

Issue 10's target: verifying 1,000,000 events stays within 3x "SHA-256 of each exported event
line" over the same bytes. ``verify_log_lines`` checks every event's hash, its link and seq, and
rebuilds the Merkle tree to compare with the signed tree heads (one in every 100,000 events and
one at the head). The baseline is the least any verifier must do: ``hashlib.sha256(line).hexdigest()``
for each line.

Lines are generated in chunks of ``--chunk`` while the verifier streams over them, so memory stays
flat; the time spent generating a chunk and running the baseline over it is measured separately
and subtracted from the verifier's total. Times are CPU time of this process
(``time.process_time``), so other work on a shared machine does not skew the ratio.

    .venv/bin/python bench/bench_audit_log.py                # 1,000,000 events
    .venv/bin/python bench/bench_audit_log.py --events 200000
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain

from bench_audit_verify import drafts

from domain.audit import AuditEvent, Checkpoint, chain_next
from domain.audit.log_verify import verify_log_lines
from domain.audit.merkle import CompactRange

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HEAD_EVERY = 100_000


def main() -> None:
    """Run the benchmark and print both times and their ratio."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    args = parser.parse_args()
    pool = drafts()

    # Pass 1 (not timed): the signed tree heads a real log would have, computed independently.
    heads: list[Checkpoint] = []
    tree = CompactRange()
    prev: AuditEvent | None = None
    for seq in range(1, args.events + 1):
        prev = chain_next(prev, pool[seq % 16], seq, T0 + timedelta(milliseconds=seq))
        tree.append(bytes.fromhex(prev.hash))
        if seq % HEAD_EVERY == 0 or seq == args.events:
            heads.append(
                Checkpoint(seq=seq, hash=prev.hash, at=T0, signer_cert_sha256="c" * 64, root=tree.root().hex())
            )

    generation = baseline = 0.0

    def chunks() -> Iterator[list[bytes]]:
        nonlocal generation, baseline
        previous: AuditEvent | None = None
        sha256 = hashlib.sha256
        for start in range(1, args.events + 1, args.chunk):
            began = time.process_time()
            chunk: list[bytes] = []
            for seq in range(start, min(start + args.chunk, args.events + 1)):
                previous = chain_next(previous, pool[seq % 16], seq, T0 + timedelta(milliseconds=seq))
                chunk.append(previous.to_json_line())
            generated = time.process_time()
            generation += generated - began
            for line in chunk:  # the raw floor over the very same bytes
                sha256(line).hexdigest()
            baseline += time.process_time() - generated
            yield chunk

    def lines() -> Iterator[bytes]:
        # Lines arrive in blocks, as from a file read in chunks; chain hands them out one by one in C.
        return chain.from_iterable(chunks())

    began = time.process_time()
    verdict = verify_log_lines(lines, heads)
    total = time.process_time() - began
    verify_time = total - generation - baseline
    assert verdict.ok and verdict.checked == args.events and verdict.checkpoints_matched == len(heads), verdict
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events:                  {args.events:,} ({len(heads)} signed tree heads; generated in {generation:.1f} s)")
    print(f"verify_log_lines:        {verify_time:.2f} s  ({verify_time / args.events * 1e6:.2f} us/event)")
    print(f"hashlib loop (baseline): {baseline:.2f} s  ({baseline / args.events * 1e6:.2f} us/event)")
    print(f"ratio verify_log_lines / hashlib: {verify_time / baseline:.2f}x (target <= 3x)")
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
