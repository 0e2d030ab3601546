"""Benchmark: a long-term (B-LTA) seal with our Sealer vs pyHanko's own one-call B-LTA signing.

Both seal the same PDF/A-3b file with the same PKCS#12 key against the same PKI, served on loopback
by certomancer (CA with OCSP and CRL, and a TSA; tests/support/pki.py). pyHanko's own: a
``SimpleSigner`` loaded from the PKCS#12, ``signers.sign_pdf`` with ``embed_validation_info`` and
``use_pades_lta`` (its DSS after the archive timestamp, so that timestamp does not cover the whole
file). Ours: ``Sealer.seal`` with the adapter's validation context (seal + DSS, then an archive
timestamp as the last revision). Also printed: our B-B seal without TSA, for the cost of going
long-term. The ratio printed is plain / ours (> 1 means ours is faster).

Run: ``.venv/bin/python bench/bench_long_term_seal.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from weasyprint import HTML, Attachment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.signing_keys import load_pkcs12_file, timestamper_for_url
from adapters.signing_kit import revocation_context_factory
from domain.sealing.seal import Sealer, SealMetadata
from tests.support.pki import PKCS12_PASSWORD, served_pki


def _pdf() -> bytes:
    html = "<!doctype html><html lang='en'><body>" + "<p>Clause text of the agreement.</p>" * 200 + "</body></html>"
    pdf = HTML(string=html).write_pdf(
        pdf_variant="pdf/a-3b",
        pdf_identifier=b"bench",
        attachments=[Attachment(string="{}", name="input.json", relationship="Data")],
    )
    assert pdf is not None
    return bytes(pdf)


def _median_ms(run: Callable[[], bytes], rounds: int) -> float:
    run()  # warm: first OCSP/CRL fetch, key load, dry run
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Seal the same file both ways against the served PKI and print medians and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    pdf = _pdf()
    metadata = SealMetadata.for_sent_pdf(pdf, envelope_id="bench", document_id="bench", document_version=1)
    with tempfile.TemporaryDirectory() as folder, served_pki(Path(folder)) as pki:
        key = load_pkcs12_file(pki.seal_pkcs12, PKCS12_PASSWORD)
        roots = tuple(x509.load_pem_x509_certificates(pki.root_pem.read_bytes()))
        vc_factory = revocation_context_factory(key, roots)
        ours = Sealer(key, timestamper=timestamper_for_url(pki.tsa_url), validation_context_factory=vc_factory)
        basic = Sealer(key)

        def plain() -> bytes:
            signer = signers.SimpleSigner.load_pkcs12(str(pki.seal_pkcs12), passphrase=PKCS12_PASSWORD.encode())
            assert signer is not None
            meta = signers.PdfSignatureMetadata(
                field_name="Seal",
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
                embed_validation_info=True,
                use_pades_lta=True,
                validation_context=vc_factory(),
            )
            out = BytesIO()
            signers.sign_pdf(
                IncrementalPdfFileWriter(BytesIO(pdf)),
                meta,
                signer=signer,
                timestamper=timestamper_for_url(pki.tsa_url),
                output=out,
            )
            return out.getvalue()

        now = datetime.now(UTC)
        plain_ms = _median_ms(plain, args.rounds)
        ours_ms = _median_ms(lambda: ours.seal(pdf, metadata, sealed_at=now), args.rounds)
        basic_ms = _median_ms(lambda: basic.seal(pdf, metadata, sealed_at=now), args.rounds)
    print(f"PDF {len(pdf) // 1024} kB, {args.rounds} rounds, PKI and TSA on loopback")
    print(f"pyHanko sign_pdf B-LTA (embed_validation_info + use_pades_lta): median {plain_ms:.1f} ms")
    print(f"our Sealer B-LTA (DSS, then archive timestamp last):              median {ours_ms:.1f} ms")
    print(f"our Sealer B-B (no TSA, no revocation data):                      median {basic_ms:.1f} ms")
    print(
        f"ratio plain / ours (B-LTA): {plain_ms / ours_ms:.2f}; cost of long-term over B-B: {ours_ms / basic_ms:.1f}x"
    )


if __name__ == "__main__":
    main()
