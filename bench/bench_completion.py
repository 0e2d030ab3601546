"""Benchmark: a whole envelope completion against plain pyHanko sealing the same PDF, in the same run.

Ours: ``CompletionService.complete`` in its own transaction, exactly as after a last signature:
load the sent PDF from the object store, stamp two signatures, render and append the certificate of
completion, seal (PAdES), store under Object Lock in SeaweedFS, write the rows and audit events,
and mail the sealed copy (to the outbox). Baseline: pyHanko ``SimpleSigner.load`` + ``sign_pdf``
sealing the same sent PDF with the same key (no stamps, no certificate, no storage). The ratio
printed is ours / pyHanko: how many plain seals one full completion costs.

Run: ``.venv/bin/python bench/bench_completion.py [--rounds N]`` (a few minutes: it renders N MSAs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from io import BytesIO

from envelope_fixture import deployment
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from services.signing import Caller
from storage.database import unit_of_work
from storage.envelope_repository import SqlEnvelopeRepository
from undersign.jobs import complete_in_own_transaction
from undersign.service_factory import ServiceFactory, signing_rules


def main() -> None:
    """Run the benchmark and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with deployment() as dep:
        runtime = dep.runtime
        envelopes: list[str] = []
        print(f"preparing {args.rounds} signed envelopes (rendering MSAs) ...", flush=True)
        for _ in range(args.rounds):
            envelope_id, links = dep.send(signers=2)
            for link in links:
                token = link.rsplit("/", 1)[-1]
                with unit_of_work(runtime.sessions) as session:
                    service = ServiceFactory(session, runtime).signing()
                    rules = signing_rules(runtime)
                    caller = Caller(ip="203.0.113.9", user_agent="bench")
                    service.consent(token, caller, agreed=True, version=rules.consent_version)
                    service.sign(
                        token,
                        caller,
                        full_name="Pat Signer",
                        title="Owner",
                        attested=True,
                        method="typed",
                        drawn_png=None,
                    )
            envelopes.append(envelope_id)
        # Warm-up: the first completion loads fonts and sizes the signature.
        ours: list[float] = []
        for index, envelope_id in enumerate(envelopes):
            start = time.perf_counter()
            status = complete_in_own_transaction(runtime, envelope_id)
            elapsed = time.perf_counter() - start
            assert status == "completed", status
            if index:
                ours.append(elapsed)
        with unit_of_work(runtime.sessions) as session:
            envelope = SqlEnvelopeRepository(session).get(envelopes[0])
        assert envelope is not None
        sent = runtime.blob_store.get(envelope.sent_key, envelope.sent_version_id)
        pki = dep.settings.data_dir / "pki"
        plain: list[float] = []
        for _ in range(max(3, args.rounds * 3)):
            start = time.perf_counter()
            signer = signers.SimpleSigner.load(
                str(pki / "seal.key.pem"), str(pki / "seal.pem"), ca_chain_files=(str(pki / "ca.pem"),)
            )
            assert signer is not None
            out = BytesIO()
            signers.sign_pdf(
                IncrementalPdfFileWriter(BytesIO(sent), strict=False),
                signers.PdfSignatureMetadata(field_name="Seal", subfilter=fields.SigSeedSubFilter.PADES),
                signer=signer,
                output=out,
            )
            plain.append(time.perf_counter() - start)
        ours_ms = statistics.median(ours or [elapsed]) * 1000
        plain_ms = statistics.median(plain) * 1000
        print(f"sent PDF: {len(sent)} bytes; rounds: {len(ours)} completions (after 1 warm-up), {len(plain)} seals")
        print(f"completion (stamp + certificate + seal + Object Lock store + rows + mail): median {ours_ms:.1f} ms")
        print(f"pyHanko plain seal of the same PDF (load key + sign_pdf):                median {plain_ms:.1f} ms")
        print(f"ratio completion / plain seal: {ours_ms / plain_ms:.2f}")


if __name__ == "__main__":
    main()
