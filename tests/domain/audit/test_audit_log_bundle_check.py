"""Checking a whole-log bundle offline: heads signed by the pinned certificate, every event pinned, head covered."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from domain.audit import (
    AuditEvent,
    bundle_entries,
    certificate_fingerprint,
    checkpoint_for,
    sign_checkpoint,
    write_bundle,
)
from domain.audit.log_bundle_check import check_log_bundle, lines_of
from domain.audit.merkle import root_from_leaves
from domain.errors import InvalidInput

from .support import T0, build_chain, self_signed


def zipped(
    events: list[AuditEvent], key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, seqs: Iterable[int]
) -> zipfile.ZipFile:
    """A real whole-log bundle of ``events`` with signed tree heads (roots included) at ``seqs``."""
    heads = [
        sign_checkpoint(
            checkpoint_for(events[seq - 1], T0, cert, root_from_leaves(bytes.fromhex(e.hash) for e in events[:seq])),
            key,
        )
        for seq in seqs
    ]
    entries = bundle_entries(events=events, checkpoints=heads, certificate=cert, documents=(), exported_at=T0)
    return zipfile.ZipFile(io.BytesIO(b"".join(write_bundle(entries, modified_at=T0))))


def replaced(archive: zipfile.ZipFile, name: str, data: bytes) -> zipfile.ZipFile:
    """A copy of ``archive`` with member ``name`` replaced by ``data``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for member in archive.namelist():
            copy.writestr(member, data if member == name else archive.read(member))
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


class TestLinesOf:
    @pytest.mark.parametrize("size", [1, 2, 7, 64, 10_000])
    def test_lines_come_out_whole_whatever_the_block_size(self, size: int) -> None:
        """Lines cut across block boundaries come out whole, with their newlines, and a last unterminated line too."""
        data = b'{"a":1}\n{"bb":22}\n\n{"ccc":333}\nrest'
        blocks = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(lines_of(blocks)) == [b'{"a":1}\n', b'{"bb":22}\n', b"\n", b'{"ccc":333}\n', b"rest"]


class TestCheckLogBundle:
    def test_an_intact_bundle_passes_with_its_certificate_pinned(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """A bundle whose last head covers the last event passes, and names the certificate that signed it."""
        events = build_chain(40)
        verdict = check_log_bundle(
            zipped(events, ec_key, ec_cert, [16, 40]), trusted_cert_sha256=certificate_fingerprint(ec_cert)
        )
        assert verdict.ok, verdict.message
        assert verdict.tree_heads == 2 and verdict.chain is not None and verdict.chain.checked == 40

    def test_one_changed_byte_in_an_event_fails(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """Changing one byte of one event line fails the check and names that event."""
        archive = zipped(build_chain(40), ec_key, ec_cert, [40])
        lines = archive.read("events.jsonl").splitlines(keepends=True)
        lines[9] = lines[9].replace(b'"seq":10', b'"seq":11', 1)
        verdict = check_log_bundle(replaced(archive, "events.jsonl", b"".join(lines)))
        assert not verdict.ok and verdict.chain is not None and verdict.chain.first_bad_seq == 10

    def test_events_after_the_last_signed_head_fail(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """Events that no signed head covers make the bundle fail, even when their chain is intact."""
        verdict = check_log_bundle(zipped(build_chain(40), ec_key, ec_cert, [30]))
        assert not verdict.ok and "no signature covers them" in verdict.message

    def test_a_head_signed_by_another_key_fails(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """A tree head whose signature does not verify with the bundle's certificate fails the bundle."""
        other = ec.generate_private_key(ec.SECP256R1())
        events = build_chain(10)
        archive = zipped(events, ec_key, ec_cert, [10])
        root = root_from_leaves(bytes.fromhex(event.hash) for event in events)
        forged = sign_checkpoint(checkpoint_for(events[-1], T0, ec_cert, root), other).to_json() + b"\n"
        verdict = check_log_bundle(replaced(archive, "checkpoints.jsonl", forged))
        assert not verdict.ok and "not signed by the bundle's certificate" in verdict.message

    def test_an_unexpected_certificate_fails(
        self, ec_key: ec.EllipticCurvePrivateKey, ec_cert: x509.Certificate
    ) -> None:
        """When the caller pins another certificate the bundle fails before any event is read."""
        verdict = check_log_bundle(
            zipped(build_chain(5), ec_key, ec_cert, [5]),
            trusted_cert_sha256=certificate_fingerprint(self_signed(ec_key, "other")),
        )
        assert not verdict.ok and "not by the trusted" in verdict.message and verdict.chain is None

    def test_a_zip_that_is_not_a_log_bundle_is_refused(self) -> None:
        """A zip without the bundle's files is refused with the names of what it lacks."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", b"hi")
        with pytest.raises(InvalidInput, match=r"events\.jsonl"):
            check_log_bundle(zipfile.ZipFile(io.BytesIO(out.getvalue())))
