"""Benchmark: checking the whole audit log (hash chain, Merkle tree, signed tree heads) against a plain hashlib loop.

Issue 10's target: verifying 1,000,000 events stays within 3x "SHA-256 of each exported event
line" over the same bytes. Two figures, each against the loop over the very same lines:

* core: ``verify_log_lines`` (every event's hash, the Merkle tree rebuilt and compared with every
  signed tree head, one in every 100,000 events and one at the head) over ``events.jsonl`` read
  from a file, against ``hashlib.sha256(line).hexdigest()`` for each line read the same way;
* end to end: ``undersign audit verify-log``'s check (``check_log_bundle``: tree-head signatures,
  the core check, the head covered) over the zipped whole-log bundle, against the loop over
  ``events.jsonl`` read from the same zip (both pay for inflating it).

The log is written once to a temporary folder (not timed); then the four measurements run in
interleaved rounds and medians are printed. Times are CPU time of this process
(``time.process_time``), so other work on a shared machine skews the ratio less.

    .venv/bin/python bench/bench_audit_log.py                # 1,000,000 events, 3 rounds
    .venv/bin/python bench/bench_audit_log.py --events 200000 --rounds 5
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_audit_verify import drafts
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from domain.audit import AuditEvent, SignedCheckpoint, chain_next, checkpoint_for, sign_checkpoint
from domain.audit.bundle import CERTIFICATE, CHECKPOINTS, EVENTS
from domain.audit.log_bundle_check import READ_BLOCK, check_log_bundle, lines_of, member_blocks
from domain.audit.log_verify import verify_log_lines
from domain.audit.merkle import CompactRange
from tests.domain.audit.support import self_signed

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HEAD_EVERY = 100_000


def write_log(folder: Path, events: int) -> tuple[Path, Path, list[SignedCheckpoint]]:
    """Write ``events.jsonl`` and the zipped whole-log bundle; return both paths and the signed tree heads."""
    pool = drafts()
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = self_signed(key)
    heads: list[SignedCheckpoint] = []
    tree = CompactRange()
    previous: AuditEvent | None = None
    log = folder / EVENTS
    with log.open("wb") as out:
        for seq in range(1, events + 1):
            previous = chain_next(previous, pool[seq % 16], seq, T0 + timedelta(milliseconds=seq))
            out.write(previous.to_json_line())
            tree.append(bytes.fromhex(previous.hash))
            if seq % HEAD_EVERY == 0 or seq == events:
                heads.append(sign_checkpoint(checkpoint_for(previous, T0, certificate, tree.root()), key))
    bundle = folder / "log.zip"
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CERTIFICATE, certificate.public_bytes(serialization.Encoding.PEM))
        archive.writestr(CHECKPOINTS, b"".join(signed.to_json() + b"\n" for signed in heads))
        archive.write(log, EVENTS)
    return log, bundle, heads


def file_blocks(path: Path) -> Iterator[bytes]:
    """Yield a file's bytes a block at a time (as ``verify-log`` reads a zip member)."""
    with path.open("rb") as source:
        while block := source.read(READ_BLOCK):
            yield block


def hash_each_line(lines: Iterable[bytes]) -> None:
    """The plain loop: SHA-256 of every line."""
    sha256 = hashlib.sha256
    for line in lines:
        sha256(line).hexdigest()


def cpu_seconds(work: Callable[[], object]) -> float:
    """Return the CPU time of this process spent in ``work``."""
    began = time.process_time()
    work()
    return time.process_time() - began


def main() -> None:
    """Write the log, run the interleaved rounds and print the medians and their ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-audit-log-") as tmp:
        began = time.monotonic()
        log, bundle, heads = write_log(Path(tmp), args.events)
        written = time.monotonic() - began
        statements = [signed.statement for signed in heads]
        times: dict[str, list[float]] = {"loop": [], "core": [], "zip loop": [], "verify-log": []}
        with zipfile.ZipFile(bundle) as archive:
            for _ in range(args.rounds):
                times["loop"].append(cpu_seconds(lambda: hash_each_line(lines_of(file_blocks(log)))))
                verdict = verify_log_lines(lambda: lines_of(file_blocks(log)), statements)
                assert verdict.ok and verdict.checked == args.events, verdict
                times["core"].append(
                    cpu_seconds(lambda: verify_log_lines(lambda: lines_of(file_blocks(log)), statements))
                )
                times["zip loop"].append(cpu_seconds(lambda: hash_each_line(lines_of(member_blocks(archive, EVENTS)))))
                checked = check_log_bundle(archive)
                assert checked.ok, checked.message
                times["verify-log"].append(cpu_seconds(lambda: check_log_bundle(archive)))
        size_mb = log.stat().st_size / 1e6
    median = {name: statistics.median(values) for name, values in times.items()}
    per_event = {name: value / args.events * 1e6 for name, value in median.items()}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events: {args.events:,} ({size_mb:.0f} MB of lines, {len(heads)} signed tree heads)")
    print(f"log and bundle written in {written:.0f} s; CPU time, median of {args.rounds} interleaved rounds")
    labels = {
        "loop": "plain hashlib loop over the lines (file)",
        "core": "verify_log_lines over the same lines",
        "zip loop": "plain hashlib loop over the lines (zip)",
        "verify-log": "undersign audit verify-log on the bundle",
    }
    for name, label in labels.items():
        print(f"{label + ':':44s}{median[name]:.2f} s  ({per_event[name]:.2f} us/event)")
    print(f"ratio core / loop:             {median['core'] / median['loop']:.2f}x (target <= 3x)")
    print(f"ratio verify-log / zip loop:   {median['verify-log'] / median['zip loop']:.2f}x")
    load_end = os.getloadavg()[0]
    print(f"peak RSS: {peak_mb:.0f} MB; load average {load_start:.2f} at start, {load_end:.2f} at end (2 cores)")


if __name__ == "__main__":
    main()
