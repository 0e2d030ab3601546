"""tools/verify_audit_chain.py, run as a separate program on bundles written by the domain code."""

from __future__ import annotations

import ast
import shutil
import struct
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from domain.audit import (
    AuditEvent,
    SignedCheckpoint,
    build_bundle_manifest,
    certificate_fingerprint,
    checkpoint_for,
    event_from_json_line,
    sign_checkpoint,
)

from .support import Service, checkpoints_for, make_chain, make_service, write_bundle_dir, write_bundle_zip

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_audit_chain.py"


def run(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the verifier in its own interpreter, from an unrelated directory."""
    return subprocess.run(
        [sys.executable, "-I", str(TOOL), str(bundle), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=bundle.parent,
        timeout=120,
    )


def assert_invalid(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    """The verifier rejected the bundle, saying each phrase."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VERDICT: INVALID" in result.stdout
    for phrase in phrases:
        assert phrase in result.stdout, result.stdout


def reseal(bundle: Path) -> None:
    """Recompute manifest.json after a change, as a forger with file access would."""
    files = {
        path.relative_to(bundle).as_posix(): path.read_bytes()
        for path in sorted(bundle.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }
    (bundle / "manifest.json").write_bytes(build_bundle_manifest(files))


def read_events(bundle: Path) -> list[AuditEvent]:
    """Parse events.jsonl with the domain parser."""
    return [event_from_json_line(line) for line in (bundle / "events.jsonl").read_bytes().splitlines(keepends=True)]


def write_events(bundle: Path, events: list[AuditEvent]) -> None:
    """Replace events.jsonl."""
    (bundle / "events.jsonl").write_bytes(b"".join(event.to_json_line() for event in events))


def rehash(event: AuditEvent, **changes: object) -> AuditEvent:
    """Apply changes and recompute the hash."""
    changed = replace(event, **changes)  # type: ignore[arg-type]
    return replace(changed, hash=changed.computed_hash())


@pytest.fixture(scope="module")
def service() -> Service:
    """The genuine service key and certificate."""
    return make_service()


@pytest.fixture(scope="module")
def events() -> list[AuditEvent]:
    """A 30-event chain naming both PDFs."""
    return make_chain(30)


@pytest.fixture
def bundle(tmp_path: Path, events: list[AuditEvent], service: Service) -> Path:
    """A fresh bundle directory."""
    return write_bundle_dir(tmp_path / "bundle", events, service)


class TestStandalone:
    def test_imports_only_the_standard_library_and_cryptography(self) -> None:
        """The verifier shares no code with undersign: every import is stdlib or cryptography."""
        tree = ast.parse(TOOL.read_text(encoding="utf-8"))
        roots: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots.add(node.module.split(".")[0])
        assert "cryptography" in roots
        assert roots - {"cryptography"} <= sys.stdlib_module_names, roots


class TestAccepts:
    def test_fresh_directory_bundle(self, bundle: Path) -> None:
        """A bundle just written by the domain code verifies."""
        result = run(bundle)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VERDICT: VALID" in result.stdout and "30 events chained" in result.stdout

    def test_fresh_zip_bundle_with_pinned_certificate(
        self, tmp_path: Path, events: list[AuditEvent], service: Service
    ) -> None:
        """The streamed zip verifies, also when the expected certificate fingerprint is given."""
        archive = write_bundle_zip(tmp_path / "bundle.zip", events, service)
        result = run(archive, "--cert-sha256", certificate_fingerprint(service.cert).upper())
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VERDICT: VALID" in result.stdout


class TestRejectsAnySingleByteChange:
    def test_every_file_at_several_positions(self, bundle: Path) -> None:
        """Flipping one byte at the start, middle or end of any file makes the bundle invalid."""
        files = sorted(path for path in bundle.rglob("*") if path.is_file())
        assert len(files) == 8
        for path in files:
            original = path.read_bytes()
            for position in sorted({0, len(original) // 3, len(original) // 2, len(original) - 1}):
                damaged = bytearray(original)
                damaged[position] ^= 0x01
                path.write_bytes(bytes(damaged))
                try:
                    result = run(bundle)
                finally:
                    path.write_bytes(original)
                name = path.relative_to(bundle).as_posix()
                assert result.returncode == 1, f"{name}@{position} accepted:\n{result.stdout}"
                assert "VERDICT: INVALID" in result.stdout
                if name != "manifest.json":
                    assert f"{name}: SHA-256 or size differs" in result.stdout, result.stdout
        assert run(bundle).returncode == 0

    def test_corrupted_member_inside_the_zip(self, tmp_path: Path, events: list[AuditEvent], service: Service) -> None:
        """A changed byte inside the zip's compressed events is caught."""
        archive = write_bundle_zip(tmp_path / "bundle.zip", events, service)
        with zipfile.ZipFile(archive) as opened:
            info = opened.getinfo("events.jsonl")
        data = bytearray(archive.read_bytes())
        name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
        start = info.header_offset + 30 + name_length + extra_length
        data[start + info.compress_size // 2] ^= 0x01
        archive.write_bytes(bytes(data))
        assert_invalid(run(archive))


class TestRejectsForgeriesWithAResealedManifest:
    """A forger who also recomputes manifest.json is still caught by the chain and the signatures."""

    def test_edited_event(self, bundle: Path) -> None:
        """Changing an event's text is an edit at its seq."""
        lines = (bundle / "events.jsonl").read_bytes().splitlines(keepends=True)
        lines[4] = lines[4].replace(b"envelope.sent", b"envelope.void")
        (bundle / "events.jsonl").write_bytes(b"".join(lines))
        reseal(bundle)
        assert_invalid(run(bundle), "chain broken at seq 5: the contents do not match the hash (edited)")

    def test_deleted_event(self, bundle: Path) -> None:
        """Removing a line is a missing seq."""
        write_events(bundle, [event for event in read_events(bundle) if event.seq != 7])
        reseal(bundle)
        assert_invalid(run(bundle), "chain broken at seq 7: missing")

    def test_swapped_events(self, bundle: Path) -> None:
        """Swapping two lines breaks the seq order."""
        events = read_events(bundle)
        events[2], events[3] = events[3], events[2]
        write_events(bundle, events)
        reseal(bundle)
        assert_invalid(run(bundle), "chain broken at seq 3: missing, seq 4 comes next")

    def test_consistent_rewrite_is_caught_by_the_signed_checkpoint(self, bundle: Path) -> None:
        """Rewriting seq 20 onwards with every hash recomputed disagrees with the checkpoint at seq 30."""
        events = read_events(bundle)
        rewritten = events[:19]
        for event in events[19:]:
            changes: dict[str, object] = {"prev_hash": rewritten[-1].hash}
            if event.seq == 20:
                changes["ip"] = "203.0.113.99"
            rewritten.append(rehash(event, **changes))
        write_events(bundle, rewritten)
        reseal(bundle)
        assert_invalid(run(bundle), "chain broken at seq 30: differs from the signed checkpoint")

    def test_truncated_tail(self, bundle: Path) -> None:
        """Dropping the last events contradicts the checkpoint at the head."""
        write_events(bundle, read_events(bundle)[:27])
        reseal(bundle)
        assert_invalid(run(bundle), "events.jsonl ends at seq 27, but a checkpoint covers seq 30")

    def test_appended_event_not_covered_by_a_checkpoint(self, bundle: Path) -> None:
        """A well-linked extra event after the signed head is refused as uncovered."""
        events = read_events(bundle)
        write_events(bundle, [*events, rehash(events[-1], seq=31, prev_hash=events[-1].hash)])
        reseal(bundle)
        assert_invalid(run(bundle), "seqs 31..31 are not covered by a signed checkpoint")

    def test_checkpoint_signed_by_another_key(self, bundle: Path, events: list[AuditEvent], service: Service) -> None:
        """A checkpoint re-signed by a key other than the certificate's fails its signature."""
        forged = sign_checkpoint(checkpoint_for(events[-1], events[-1].at, service.cert), make_service().key)
        lines = (bundle / "checkpoints.jsonl").read_bytes().splitlines(keepends=True)
        (bundle / "checkpoints.jsonl").write_bytes(lines[0] + forged.to_json() + b"\n")
        reseal(bundle)
        assert_invalid(run(bundle), "checkpoint at seq 30: the signature does not verify")

    def test_substituted_certificate_passes_only_without_a_pin(self, bundle: Path, service: Service) -> None:
        """A forger's own certificate and signatures fool a verifier that does not pin the fingerprint."""
        forger = make_service("Acme MSP audit seal")
        events = read_events(bundle)
        rewritten = [events[0]]
        for event in events[1:]:
            rewritten.append(rehash(event, prev_hash=rewritten[-1].hash, user_agent="forged"))
        write_events(bundle, rewritten)
        (bundle / "service-cert.pem").write_bytes(forger.cert.public_bytes(Encoding.PEM))
        signed = checkpoints_for(rewritten, forger, (15, 30))
        (bundle / "checkpoints.jsonl").write_bytes(b"".join(s.to_json() + b"\n" for s in signed))
        reseal(bundle)
        assert run(bundle).returncode == 0
        pinned = run(bundle, "--cert-sha256", certificate_fingerprint(service.cert))
        assert_invalid(pinned, "service-cert.pem is not the certificate given with --cert-sha256")

    def test_document_not_named_by_any_event(self, bundle: Path) -> None:
        """A PDF whose hash no event records is refused, even if listed in the manifest."""
        (bundle / "documents" / "extra.pdf").write_bytes(b"%PDF-1.7\n% not in the audit trail\n")
        reseal(bundle)
        assert_invalid(run(bundle), "documents/extra.pdf: its SHA-256 is not recorded in any verified event")

    def test_file_missing_from_the_manifest(self, bundle: Path) -> None:
        """A file the manifest does not list is refused."""
        (bundle / "notes.txt").write_text("added later")
        assert_invalid(run(bundle), "notes.txt: not listed in manifest.json")

    def test_missing_file(self, bundle: Path) -> None:
        """A listed file that is gone is refused."""
        shutil.rmtree(bundle / "documents")
        assert_invalid(run(bundle), "documents/ENV-2026-0001-sealed.pdf: listed in manifest.json but missing")


def test_checkpoint_documents_in_the_bundle_parse_with_the_domain_parser(bundle: Path) -> None:
    """checkpoints.jsonl lines are SignedCheckpoint documents, one per line, in seq order."""
    lines = (bundle / "checkpoints.jsonl").read_bytes().splitlines()
    assert [SignedCheckpoint.from_json(line).statement.seq for line in lines] == [15, 30]
