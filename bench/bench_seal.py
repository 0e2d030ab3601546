"""Benchmark: completion and sealing with our Sealer vs plain pyHanko sealing the same PDF.

Plain pyHanko here is what a straightforward integration does per seal: ``SimpleSigner.load`` from
the key files, then ``signers.sign_pdf`` (which sizes the signature with a dry-run signature first).
Our ``Sealer`` loads the key once and reserves the signature size. Both seal the same stamped PDF
with the same key in the same run; the ratio printed is plain / ours (> 1 means ours is faster).

Run: ``.venv/bin/python bench/bench_seal.py [--rounds N] [--rsa] [--tsa]``
(``--tsa`` starts the loopback test TSA from tests/support/tsa.py; plain pyHanko then uses its
aiohttp ``HTTPTimeStamper``, ours the adapter's ``timestamper_for_url`` client).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from adapters.signing_keys import timestamper_for_url
from domain.sealing.completion import Completer
from domain.sealing.completion_certificate import CompletionRecord, EventRecord, SignerEvidence
from domain.sealing.keys import SealingKey, generate_dev_pki
from domain.sealing.seal import Sealer, SealMetadata
from domain.sealing.stamping import SignatureBox, SignatureStamp, Stamper

NOW = datetime.now(UTC).replace(microsecond=0)


def sent_pdf() -> bytes:
    """A one-page agreement with two signature boxes."""
    pdf = HTML(
        string="<style>@page{size:A4;margin:0}</style><div style='padding:60pt'><h1>Agreement</h1>"
        "<p>The client accepts the terms.</p></div>"
    ).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def stamps() -> list[SignatureStamp]:
    """One typed and one typed-as-drawn-free stamp (images are WeasyPrint's cost, not sealing's)."""
    return [
        SignatureStamp(SignatureBox(0, 60, 520, 220, 90), "Alice Client", "CEO", NOW, typed_text="Alice Client"),
        SignatureStamp(SignatureBox(0, 320, 520, 220, 90), "Bob Provider", "MD", NOW, typed_text="Bob Provider"),
    ]


def record(pdf: bytes) -> CompletionRecord:
    """A completion record with two signers and eight events."""
    signer = SignerEvidence(
        name="Alice Client",
        email="alice@client.example",
        title="CEO",
        authority_attestation="Authorised",
        auth_method="e-mail link",
        consent_version="1",
        consented_at=NOW,
        signed_at=NOW,
        ip="203.0.113.7",
        user_agent="Mozilla/5.0",
        signature_method="typed",
    )
    return CompletionRecord(
        envelope_id="env-1",
        document_id="doc-1",
        document_version=1,
        document_title="Agreement",
        template_id="msa",
        template_version="1",
        sent_sha256=hashlib.sha256(pdf).hexdigest(),
        sent_at=NOW - timedelta(days=1),
        completed_at=NOW,
        signers=(signer, signer),
        events=tuple(EventRecord(NOW, "alice@client.example", "viewed") for _ in range(8)),
    )


def rsa_key() -> SealingKey:
    """A self-signed RSA-2048 sealing key (what commercial PKCS#12 files often hold)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench rsa seal")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return SealingKey(private_key=key, certificate=cert, chain=())


def timed(fn: Callable[[], object], rounds: int) -> float:
    """Median seconds of ``fn`` over ``rounds`` runs after one warm-up."""
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Run the benchmark and print medians and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rsa", action="store_true", help="seal with RSA-2048 instead of ECDSA P-256")
    parser.add_argument("--tsa", action="store_true", help="add an RFC 3161 timestamp from a loopback TSA")
    args = parser.parse_args()

    key = rsa_key() if args.rsa else generate_dev_pki(NOW).sealing_key()
    tsa = None
    timestamper: TimeStamper | None = None  # ours: the adapter's client
    plain_timestamper: TimeStamper | None = None  # plain: pyHanko's default HTTP client
    if args.tsa:
        # The test TSA lives in the tests package at the repository root.
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.support.tsa import LocalTsa

        tsa = LocalTsa()
        tsa.start()
        timestamper = timestamper_for_url(tsa.url)
        plain_timestamper = HTTPTimeStamper(tsa.url)
    try:
        pdf = sent_pdf()
        font_config = FontConfiguration()
        sealer = Sealer(key, timestamper=timestamper)
        completer = Completer(sealer, font_config=font_config)
        rec = record(pdf)
        stamped = Stamper(font_config).apply(pdf, stamps())
        metadata = SealMetadata.for_sent_pdf(pdf, envelope_id="env-1", document_id="doc-1", document_version=1)

        with tempfile.TemporaryDirectory() as tmp:
            key_file, cert_file = Path(tmp, "key.pem"), Path(tmp, "cert.pem")
            key_file.write_bytes(
                key.private_key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            cert_file.write_bytes(key.certificate.public_bytes(serialization.Encoding.PEM))
            chain_files = []
            for i, cert in enumerate(key.chain):
                chain_file = Path(tmp, f"chain{i}.pem")
                chain_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
                chain_files.append(str(chain_file))

            def plain_pyhanko() -> bytes:
                signer = signers.SimpleSigner.load(str(key_file), str(cert_file), ca_chain_files=chain_files)
                meta = signers.PdfSignatureMetadata(
                    field_name="Seal", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
                )
                out = signers.sign_pdf(
                    IncrementalPdfFileWriter(BytesIO(stamped)), meta, signer=signer, timestamper=plain_timestamper
                )
                return out.getvalue()

            def ours() -> bytes:
                return sealer.seal(stamped, metadata, sealed_at=NOW)

            def complete() -> bytes:
                return completer.complete(pdf, stamps(), rec, sealed_at=NOW).pdf

            t_plain = timed(plain_pyhanko, args.rounds)
            t_ours = timed(ours, args.rounds)
            t_complete = timed(complete, max(3, args.rounds // 3))
    finally:
        if tsa is not None:
            tsa.stop()

    label = ("RSA-2048" if args.rsa else "ECDSA P-256") + (" + RFC 3161 TSA" if args.tsa else "")
    print(f"seal of a {len(stamped)} byte PDF, {label}, median of {args.rounds}")
    print(f"  plain pyHanko (SimpleSigner.load + sign_pdf): {t_plain * 1000:8.1f} ms")
    print(f"  undersign Sealer.seal:                        {t_ours * 1000:8.1f} ms")
    print(f"  ratio plain / ours:                           {t_plain / t_ours:8.2f}x")
    print(f"  full completion (stamps + certificate + seal): {t_complete * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
