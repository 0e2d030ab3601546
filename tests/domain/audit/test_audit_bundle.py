"""Evidence bundles: the manifest, the entries in order, the tee-ed verdict and the streamed zip."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from domain.audit import (
    AuditEvent,
    SignedCheckpoint,
    build_bundle_manifest,
    bundle_entries,
    checkpoint_for,
    sign_checkpoint,
    write_bundle,
)
from domain.audit.bundle import BundleEntry
from domain.errors import InvalidInput

from .support import T0, build_chain, edited, self_signed

# build_chain names a document (sha256 of b"pdf <seq>") at seqs 2, 5, 8, ...
PDF_2 = b"pdf 2"


def signed_heads(
    events: list[AuditEvent], key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, seqs: Iterable[int]
) -> list[SignedCheckpoint]:
    """Checkpoints of the given seqs."""
    return [sign_checkpoint(checkpoint_for(events[seq - 1], T0, cert), key) for seq in seqs]


def entries_as_files(entries: Iterable[BundleEntry]) -> dict[str, bytes]:
    """Read every entry in order into name -> bytes."""
    return {entry.name: b"".join(entry.chunks) for entry in entries}


class TestManifest:
    def test_lists_every_file_with_sha256_and_size(self) -> None:
        """The manifest is canonical JSON plus a newline naming each file's SHA-256 and size."""
        data = build_bundle_manifest({"events.jsonl": b"abc", "documents/x.pdf": b""})
        assert data.endswith(b"}\n") and b" " not in data
        assert json.loads(data) == {
            "files": {
                "documents/x.pdf": {"sha256": hashlib.sha256(b"").hexdigest(), "size": 0},
                "events.jsonl": {"sha256": hashlib.sha256(b"abc").hexdigest(), "size": 3},
            },
            "format": "undersign-evidence-bundle",
            "v": 1,
        }

    @pytest.mark.parametrize("name", ["manifest.json", "../evil", "documents/../x", "a/b.txt", "/abs", ".hidden", ""])
    def test_refuses_unsafe_names(self, name: str) -> None:
        """Names that could escape a folder or clash with the manifest are refused."""
        with pytest.raises(InvalidInput):
            build_bundle_manifest({name: b"x"})


class TestEntries:
    def test_yields_the_documented_files_in_order(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """The bundle holds README, certificate, checkpoints, events, documents, verification, manifest last."""
        events = build_chain(9)
        files = entries_as_files(
            bundle_entries(
                events=events,
                checkpoints=signed_heads(events, ec_key, ec_cert, [9, 4]),
                certificate=ec_cert,
                documents=[("contract.pdf", PDF_2)],
                exported_at=T0,
            )
        )
        assert list(files) == [
            "README.txt",
            "service-cert.pem",
            "checkpoints.jsonl",
            "events.jsonl",
            "documents/contract.pdf",
            "verification.json",
            "manifest.json",
        ]
        assert files["events.jsonl"] == b"".join(event.to_json_line() for event in events)
        seqs = [SignedCheckpoint.from_json(line).statement.seq for line in files["checkpoints.jsonl"].splitlines()]
        assert seqs == [4, 9]
        assert files["manifest.json"] == build_bundle_manifest(
            {name: data for name, data in files.items() if name != "manifest.json"}
        )
        verification = json.loads(files["verification.json"])
        assert verification["ok"] is True and verification["chain"]["head_seq"] == 9
        assert verification["documents"][0]["referenced_by_seq"] == 2

    def test_verification_describes_the_exported_events(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """A broken chain is still exported, and verification.json says where and how it is broken."""
        events = build_chain(6)
        checkpoints = signed_heads(events, ec_key, ec_cert, [6])
        events[2] = edited(events[2], action="envelope.voided")
        files = entries_as_files(
            bundle_entries(events=events, checkpoints=checkpoints, certificate=ec_cert, documents=[], exported_at=T0)
        )
        chain = json.loads(files["verification.json"])["chain"]
        assert (chain["ok"], chain["kind"], chain["first_bad_seq"]) == (False, "edited", 3)

    def test_uncovered_head_and_unreferenced_documents_are_reported(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """Events after the last checkpoint and documents no event names make the export's verdict false."""
        events = build_chain(6)
        files = entries_as_files(
            bundle_entries(
                events=events,
                checkpoints=signed_heads(events, ec_key, ec_cert, [4]),
                certificate=ec_cert,
                documents=[("stray.pdf", b"not in the chain")],
                exported_at=T0,
            )
        )
        verification = json.loads(files["verification.json"])
        assert verification["ok"] is False
        assert verification["chain"]["kind"] == "uncovered"
        assert verification["documents"][0]["referenced_by_seq"] is None

    def test_refuses_checkpoints_not_signed_by_the_certificate(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """Exporting a checkpoint the bundle's certificate did not sign is a bug and is refused."""
        events = build_chain(3)
        other = ec.generate_private_key(ec.SECP256R1())
        with pytest.raises(InvalidInput):
            list(
                bundle_entries(
                    events=events,
                    checkpoints=signed_heads(events, other, self_signed(other), [3]),
                    certificate=ec_cert,
                    documents=[],
                    exported_at=T0,
                )
            )

    def test_refuses_two_documents_with_one_name(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """Two documents with the same file name cannot both be in the bundle."""
        events = build_chain(3)
        entries = bundle_entries(
            events=events,
            checkpoints=signed_heads(events, ec_key, ec_cert, [3]),
            certificate=ec_cert,
            documents=[("a.pdf", PDF_2), ("a.pdf", PDF_2)],
            exported_at=T0,
        )
        with pytest.raises(InvalidInput):
            entries_as_files(entries)

    def test_entries_must_be_read_in_order(self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate) -> None:
        """Skipping an entry's chunks would leave the manifest without its digest, so it raises."""
        events = build_chain(3)
        entries = bundle_entries(
            events=events,
            checkpoints=signed_heads(events, ec_key, ec_cert, [3]),
            certificate=ec_cert,
            documents=[],
            exported_at=T0,
        )
        with pytest.raises(RuntimeError):
            for _ in entries:
                pass


class TestZip:
    def test_streams_a_readable_zip_in_pieces(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """write_bundle yields many pieces (not one buffer) that form a zip of exactly the entries."""
        events = build_chain(1500)
        checkpoints = signed_heads(events, ec_key, ec_cert, [1500])

        def entries() -> Iterable[BundleEntry]:
            return bundle_entries(
                events=events,
                checkpoints=checkpoints,
                certificate=ec_cert,
                documents=[("c.pdf", PDF_2)],
                exported_at=T0,
            )

        pieces = list(write_bundle(entries(), modified_at=T0 + timedelta(days=1)))
        assert len(pieces) > 10
        with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
            assert archive.testzip() is None
            unzipped = {name: archive.read(name) for name in archive.namelist()}
            assert archive.getinfo("events.jsonl").date_time == (2026, 1, 6, 9, 30, 0)
        assert unzipped == entries_as_files(entries())

    def test_same_input_gives_the_same_zip(self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate) -> None:
        """With fixed checkpoints and export time, the zip bytes are reproducible."""
        events = build_chain(5)
        checkpoints = signed_heads(events, ec_key, ec_cert, [5])

        def zipped() -> bytes:
            entries = bundle_entries(
                events=events, checkpoints=checkpoints, certificate=ec_cert, documents=[], exported_at=T0
            )
            return b"".join(write_bundle(entries, modified_at=T0))

        assert zipped() == zipped()
