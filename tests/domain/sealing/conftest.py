"""Fixtures for the sealing tests: a dev PKI, a sent PDF with two signature boxes, stamps, a test TSA."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from domain.sealing.completion import Completer
from domain.sealing.completion_certificate import CompletionRecord, EventRecord, SignerEvidence
from domain.sealing.keys import DevPki, SealingKey, generate_dev_pki
from domain.sealing.seal import Sealer
from domain.sealing.stamping import SignatureBox, SignatureStamp
from tests.support.tsa import LocalTsa, TsaIdentity

# Two signature boxes the "template" marks, in points from the page's top-left corner.
BOX_CLIENT = SignatureBox(page_index=0, left=60.0, top=520.0, width=220.0, height=90.0)
BOX_MSP = SignatureBox(page_index=0, left=320.0, top=520.0, width=220.0, height=90.0)


def _box_css(box: SignatureBox) -> str:
    return (
        f"position: absolute; left: {box.left}pt; top: {box.top}pt; width: {box.width}pt; "
        f"height: {box.height}pt; outline: 0.5pt dashed #999"
    )


def render_sent_pdf() -> bytes:
    """Render the two-page "sent" agreement with WeasyPrint (margins 0 so CSS points are page points)."""
    html = f"""<!doctype html><html><head><style>
    @page {{ size: A4; margin: 0 }} body {{ margin: 0; font-family: 'DejaVu Serif' }}
    .page {{ position: relative; height: 841pt; padding: 60pt; box-sizing: border-box; break-after: page }}
    </style></head><body>
    <div class="page"><h1>Managed Services Agreement</h1><p>The client accepts the terms.</p>
      <div style="{_box_css(BOX_CLIENT)}"></div><div style="{_box_css(BOX_MSP)}"></div></div>
    <div class="page"><p>Schedule A: service levels.</p></div>
    </body></html>"""
    pdf = HTML(string=html).write_pdf(pdf_identifier=b"sent-fixture")
    assert pdf is not None
    return bytes(pdf)


def drawn_signature_png() -> bytes:
    """Return a transparent PNG with a scribble, like the signing page's canvas produces."""
    image = Image.new("RGBA", (480, 140), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(12, 110), (80, 30), (150, 115), (260, 25), (350, 100), (468, 40)], fill=(10, 20, 90, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass(frozen=True)
class PdfSigResult:
    """What pdfsig printed, split into the lines the tests look at."""

    output: str

    @property
    def signature_valid(self) -> bool:
        """True when pdfsig says the signature value and digest verify."""
        return "Signature Validation: Signature is Valid." in self.output

    @property
    def total_document_signed(self) -> bool:
        """True when pdfsig says the signed byte ranges cover the whole file."""
        return "Total document signed" in self.output


def run_pdfsig(path: Path, home: Path) -> PdfSigResult:
    """Run poppler's pdfsig on ``path`` without network (no OCSP) and with an empty NSS home."""
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home)}
    result = subprocess.run(
        ["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    return PdfSigResult(result.stdout + result.stderr)


def run_qpdf_check(path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``qpdf --check`` on ``path``."""
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed")
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60, check=False)


def pdf_text(path: Path, *, page: int | None = None, crop: SignatureBox | None = None) -> str:
    """Extract text with pdftotext, optionally only from one page and one box (72 dpi: pixels = points)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    if crop is not None:
        args += ["-x", str(int(crop.left)), "-y", str(int(crop.top))]
        args += ["-W", str(int(crop.width)), "-H", str(int(crop.height))]
    result = subprocess.run([*args, str(path), "-"], capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


@pytest.fixture(scope="session")
def now() -> datetime:
    """The time of the test run (certificates and the TSA work in real time)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def dev_pki(now: datetime) -> DevPki:
    """A development CA and sealing certificate."""
    return generate_dev_pki(now - timedelta(days=1))


@pytest.fixture(scope="session")
def sealing_key(dev_pki: DevPki) -> SealingKey:
    """The sealing key of ``dev_pki``."""
    return dev_pki.sealing_key()


@pytest.fixture(scope="session")
def font_config() -> FontConfiguration:
    """One WeasyPrint font configuration for the whole run, as a worker keeps one."""
    return FontConfiguration()


@pytest.fixture(scope="session")
def sealer(sealing_key: SealingKey) -> Sealer:
    """A sealer without a timestamp authority."""
    return Sealer(sealing_key, location="undersign tests")


@pytest.fixture(scope="session")
def sent_pdf() -> bytes:
    """The document as it was sent to the signers."""
    return render_sent_pdf()


@pytest.fixture(scope="session")
def signature_png() -> bytes:
    """A drawn signature image."""
    return drawn_signature_png()


@pytest.fixture(scope="session")
def stamps(now: datetime, signature_png: bytes) -> tuple[SignatureStamp, SignatureStamp]:
    """A typed signature in the client's box and a drawn one in the MSP's box."""
    return (
        SignatureStamp(
            box=BOX_CLIENT,
            signer_name="Alice Client",
            signer_title="Chief Executive",
            signed_at=now - timedelta(hours=2),
            typed_text="Alice Client",
        ),
        SignatureStamp(
            box=BOX_MSP,
            signer_name="Bob Provider",
            signer_title="Managing Director",
            signed_at=now - timedelta(hours=1),
            drawn_png=signature_png,
        ),
    )


def make_record(sent_pdf: bytes, now: datetime, *, events: int = 6) -> CompletionRecord:
    """Build the completion record of the fixture envelope."""

    def signer(name: str, email: str, title: str, method: str, hours: int) -> SignerEvidence:
        return SignerEvidence(
            name=name,
            email=email,
            title=title,
            authority_attestation=f"I, {name}, am authorised to bind my organisation.",
            auth_method="e-mail link + one-time code",
            consent_version="esign-consent-2",
            consented_at=now - timedelta(hours=hours, minutes=5),
            viewed_at=now - timedelta(hours=hours, minutes=10),
            signed_at=now - timedelta(hours=hours),
            ip="203.0.113.7",
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            signature_method=method,
        )

    return CompletionRecord(
        envelope_id="env-7f3a",
        document_id="doc-42",
        document_version=3,
        document_title="Managed Services Agreement",
        template_id="msa",
        template_version="2.1.0",
        sent_sha256=hashlib.sha256(sent_pdf).hexdigest(),
        sent_at=now - timedelta(days=1),
        completed_at=now,
        signers=(
            signer("Alice Client", "alice@client.example", "Chief Executive", "typed", 2),
            signer("Bob Provider", "bob@msp.example", "Managing Director", "drawn", 1),
        ),
        events=tuple(
            EventRecord(
                at=now - timedelta(minutes=60 - i),
                actor="alice@client.example",
                action=f"viewed-{i}",
                ip="203.0.113.7",
                user_agent="Mozilla/5.0",
            )
            for i in range(events)
        ),
    )


@pytest.fixture(scope="session")
def record_factory(sent_pdf: bytes, now: datetime) -> Callable[..., CompletionRecord]:
    """Build completion records for the fixture envelope (``events=`` sets the event count)."""

    def build(*, events: int = 6, pdf: bytes | None = None) -> CompletionRecord:
        return make_record(pdf if pdf is not None else sent_pdf, now, events=events)

    return build


@pytest.fixture(scope="session")
def pdfsig(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], PdfSigResult]:
    """Run pdfsig on a file (isolated NSS home, no OCSP)."""
    home = tmp_path_factory.mktemp("nss-home")
    return lambda path: run_pdfsig(path, home)


@pytest.fixture(scope="session")
def qpdf_check() -> Callable[[Path], subprocess.CompletedProcess[str]]:
    """Run ``qpdf --check`` on a file."""
    return run_qpdf_check


@pytest.fixture(scope="session")
def pdftext() -> Callable[..., str]:
    """Extract text from a PDF with pdftotext (``page=``, ``crop=`` a SignatureBox)."""
    return pdf_text


@pytest.fixture(scope="session")
def record(sent_pdf: bytes, now: datetime) -> CompletionRecord:
    """The completion record of the fixture envelope."""
    return make_record(sent_pdf, now)


@pytest.fixture(scope="session")
def completer(sealer: Sealer, font_config: FontConfiguration) -> Completer:
    """A completer sealing without a TSA."""
    return Completer(sealer, font_config=font_config)


@pytest.fixture(scope="session")
def tsa_identity() -> TsaIdentity:
    """The test TSA's root and certificate (RSA keys are slow to make: once per run)."""
    return TsaIdentity()


@pytest.fixture
def tsa(tsa_identity: TsaIdentity) -> Iterator[LocalTsa]:
    """A running local RFC 3161 TSA, stopped after the test."""
    server = LocalTsa(tsa_identity)
    server.start()
    yield server
    server.stop()
