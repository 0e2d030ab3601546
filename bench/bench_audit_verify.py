"""Benchmark: ``verify_chain`` over N audit events against a plain hashlib loop over the same bytes.

The raw floor is "SHA-256 each event's canonical bytes and compare hash and link": that is all a
verifier must do if the canonical bytes were already at hand. ``verify_chain`` also has to write
those bytes from the event's fields (the serialisation is the real cost) and classify failures.

Events are generated in chunks of ``--chunk`` (default 10,000) while ``verify_chain`` streams
over them, so memory stays flat whatever ``--events`` is. For each chunk the generator also runs
the hashlib loop over that chunk's canonical bytes; generation time and baseline time are
measured separately and subtracted from the total, leaving the time spent inside verify_chain.

    .venv/bin/python bench/bench_audit_verify.py               # 1,000,000 events
    .venv/bin/python bench/bench_audit_verify.py --events 100000
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from domain.audit import Actor, AuditEvent, AuditEventDraft, chain_next, payload_digest, verify_chain

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def drafts() -> list[AuditEventDraft]:
    """A small pool of realistic drafts (validated once, reused)."""
    actors = [Actor("api_key", "sales-desk", "sales"), Actor("signer", "zoë@client.example", "client")]
    return [
        AuditEventDraft(
            actor=actors[i % 2],
            action=("envelope.sent", "envelope.viewed", "envelope.signed", "document.sealed")[i % 4],
            subjects={"envelope": f"ENV-2026-{i:04d}", "client": f"CL-{i:03d}"},
            ip="198.51.100.23" if i % 2 else None,
            user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)" if i % 2 else None,
            payload_sha256=payload_digest({"i": i}),
            document_sha256=hashlib.sha256(b"pdf %d" % i).hexdigest() if i % 4 == 3 else None,
        )
        for i in range(16)
    ]


def main() -> None:
    """Run the benchmark and print both times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    args = parser.parse_args()
    pool = drafts()
    generation = baseline = 0.0
    mismatches = 0

    def stream() -> Iterator[AuditEvent]:
        nonlocal generation, baseline, mismatches
        prev: AuditEvent | None = None
        for start in range(1, args.events + 1, args.chunk):
            began = time.perf_counter()
            chunk: list[AuditEvent] = []
            for seq in range(start, min(start + args.chunk, args.events + 1)):
                prev = chain_next(prev, pool[seq % 16], seq, T0 + timedelta(milliseconds=seq))
                chunk.append(prev)
            material = [(event.canonical_bytes(), event.hash, event.prev_hash) for event in chunk]
            generated = time.perf_counter()
            generation += generated - began
            # The raw floor: hash the ready-made canonical bytes, compare hash and link.
            link = chunk[0].prev_hash
            sha256 = hashlib.sha256
            for body, stored, prev_hash in material:
                if sha256(body).hexdigest() != stored or prev_hash != link:
                    mismatches += 1
                link = stored
            baseline += time.perf_counter() - generated
            del material
            yield from chunk

    began = time.perf_counter()
    verdict = verify_chain(stream(), [])
    total = time.perf_counter() - began
    verify_time = total - generation - baseline
    assert verdict.ok and verdict.checked == args.events and mismatches == 0, verdict
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events:               {args.events:,} (generated in chunks of {args.chunk:,}; {generation:.1f} s)")
    print(f"verify_chain:         {verify_time:.2f} s  ({verify_time / args.events * 1e6:.2f} us/event)")
    print(f"hashlib loop (floor): {baseline:.2f} s  ({baseline / args.events * 1e6:.2f} us/event)")
    print(f"ratio verify_chain / hashlib: {verify_time / baseline:.1f}x")
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
