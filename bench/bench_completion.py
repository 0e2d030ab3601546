"""Benchmark: a whole envelope completion against raw pyHanko sealing plus raw WeasyPrint of its certificate.

Ours: ``CompletionService.complete`` in its own transaction, exactly as after a last signature:
load the sent PDF from the object store, stamp two signatures, lay out and append the certificate
of completion, seal (PAdES), store under Object Lock in SeaweedFS, write the rows and audit events,
and mail the sealed copy (to the outbox). Baselines, measured in the same rounds (interleaved with
ours, so load on the shared machine hits both alike):

* **seal**: pyHanko ``SimpleSigner.load`` + ``sign_pdf`` sealing the same sent PDF with the same key;
* **certificate**: WeasyPrint alone (``HTML(string).write_pdf`` with a reused ``FontConfiguration``)
  on the HTML of the same envelope's certificate page.

The ratio printed is ours / (seal + certificate) (goal <= 1.5), beside ours / seal alone, with the
load average at start and end. ``--readme`` writes the figures into README.md.

Run: ``.venv/bin/python bench/bench_completion.py [--rounds N] [--readme]`` (a few minutes: it renders N MSAs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from io import BytesIO

from envelope_fixture import deployment
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from readme_figures import load_average, update_readme
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from domain.envelopes import page_heights
from domain.sealing.completion_certificate import CertificateRenderer
from services.completion import completion_record
from services.signing import Caller
from storage.database import unit_of_work
from storage.envelope_repository import SqlEnvelopeRepository
from undersign.jobs import complete_in_own_transaction
from undersign.service_factory import ServiceFactory, signing_rules
from undersign.task_worker import drain


def main() -> None:
    """Run the benchmark and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    args = parser.parse_args()
    load_start = load_average()
    with deployment() as dep:
        runtime = dep.runtime
        envelopes: list[str] = []
        print(f"preparing {args.rounds} signed envelopes (rendering MSAs) ...", flush=True)
        sent_links = [dep.send(signers=2) for _ in range(args.rounds + 1)]
        # Nobody signs pages not yet shown: render the page images the signing page needs first (and
        # only then sign, so that no queued completion runs outside the timed calls).
        drain(runtime)
        for envelope_id, links in sent_links:
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
        # Warm-up: the first completion loads fonts and sizes the signature (not counted).
        assert complete_in_own_transaction(runtime, envelopes[0]) == "completed"
        with unit_of_work(runtime.sessions) as session:
            repository = SqlEnvelopeRepository(session)
            envelope = repository.get(envelopes[1])
            assert envelope is not None
            events = repository.events(envelope.id)
        sent = runtime.blob_store.get(envelope.sent_key, envelope.sent_version_id)
        pages = len(page_heights(sent))
        record = completion_record(envelope, events, pages, envelope.created_at)
        certificate_html = CertificateRenderer().html(record)
        fonts = FontConfiguration()
        pki = dep.settings.data_dir / "pki"

        def raw_seal() -> None:
            signer = signers.SimpleSigner.load(
                str(pki / "seal.key.pem"), str(pki / "seal.pem"), ca_chain_files=(str(pki / "ca.pem"),)
            )
            assert signer is not None
            signers.sign_pdf(
                IncrementalPdfFileWriter(BytesIO(sent), strict=False),
                signers.PdfSignatureMetadata(field_name="Seal", subfilter=fields.SigSeedSubFilter.PADES),
                signer=signer,
                output=BytesIO(),
            )

        def raw_certificate() -> None:
            HTML(string=certificate_html).write_pdf(font_config=fonts)

        raw_certificate()
        ours: list[float] = []
        seal: list[float] = []
        page: list[float] = []
        for envelope_id in envelopes[1:]:
            seal.append(timed(raw_seal))
            start = time.perf_counter()
            status = complete_in_own_transaction(runtime, envelope_id)
            ours.append(time.perf_counter() - start)
            assert status == "completed", status
            page.append(timed(raw_certificate))
        ours_ms = statistics.median(ours) * 1000
        seal_ms = statistics.median(seal) * 1000
        page_ms = statistics.median(page) * 1000
        lines = [
            f"completion of a 2-signer MSA ({len(sent)} bytes, {pages} pages), {len(ours)} interleaved rounds, medians",
            f"load average: {load_start} at start, {load_average()} at end",
            f"ours: stamps + certificate + seal + Object Lock store + rows + mail  {ours_ms:8.1f} ms",
            f"raw pyHanko seal of the same PDF (load key + sign_pdf)              {seal_ms:8.1f} ms",
            f"raw WeasyPrint of the same certificate page                         {page_ms:8.1f} ms",
            f"ratio ours / (raw seal + raw certificate): {ours_ms / (seal_ms + page_ms):.2f}   (goal <= 1.5)",
            f"ratio ours / raw seal alone:               {ours_ms / seal_ms:.2f}",
        ]
        print("\n".join(lines))
        if args.readme:
            update_readme("bench_completion", "\n".join(lines))


def timed(action: Callable[[], None]) -> float:
    """Return the seconds ``action`` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
