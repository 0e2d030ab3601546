"""The process-wide pieces of the signing ceremony, built once from settings.

The sealing key (development PKI under the data dir, or the PKCS#12 file), the ``Completer`` with
its ``Sealer`` and TSA client, the mailer (SMTP relay, or the ``.eml`` outbox when none is set), and
the page images the signing page shows (rendered by poppler's ``pdftoppm``, cached by SHA-256).
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from adapters.signing_keys import load_or_create_dev_sealing_key, load_pkcs12_file, timestamper_for_url
from domain.document_kind import DocumentKind
from domain.envelopes import RetentionPolicy
from domain.errors import DependencyUnavailable
from domain.ports import Mailer
from domain.sealing.completion import Completer
from domain.sealing.keys import SealingKey
from domain.sealing.seal import Sealer
from undersign.settings import Settings

log = logging.getLogger("undersign.signing")
SCRIPT_FONT_FILES = (
    Path("/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf"),
    Path("/usr/share/fonts/truetype/dancingscript/DancingScript-Regular.ttf"),
)
PAGE_DPI = 96
MAX_PAGES = 200


class PdftoppmPages:
    """Renders PDF pages to PNG with ``pdftoppm`` and keeps the last few documents in memory."""

    def __init__(self, *, dpi: int = PAGE_DPI, cached_documents: int = 16, timeout: float = 60.0) -> None:
        self._dpi = dpi
        self._max = cached_documents
        self._timeout = timeout
        self._cache: OrderedDict[str, list[bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Lock] = {}

    def pages(self, sha256: str, load: Callable[[], bytes]) -> list[bytes]:
        """Return one PNG per page of the PDF ``sha256`` (rendered once even under concurrent requests)."""
        with self._lock:
            if sha256 in self._cache:
                self._cache.move_to_end(sha256)
                return self._cache[sha256]
            gate = self._rendering.setdefault(sha256, threading.Lock())
        with gate:
            with self._lock:
                if sha256 in self._cache:
                    return self._cache[sha256]
            rendered = self._render(load())
            with self._lock:
                self._cache[sha256] = rendered
                while len(self._cache) > self._max:
                    self._cache.popitem(last=False)
                self._rendering.pop(sha256, None)
            return rendered

    def _render(self, pdf: bytes) -> list[bytes]:
        with tempfile.TemporaryDirectory(prefix="undersign-pages-") as folder:
            source = Path(folder) / "document.pdf"
            source.write_bytes(pdf)
            try:
                subprocess.run(
                    [
                        "pdftoppm",
                        "-r",
                        str(self._dpi),
                        "-l",
                        str(MAX_PAGES),
                        "-png",
                        str(source),
                        str(Path(folder) / "p"),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=self._timeout,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise DependencyUnavailable(
                    f"The document pages could not be rendered ({type(exc).__name__})."
                ) from exc
            return [path.read_bytes() for path in sorted(Path(folder).glob("p-*.png"))]


@dataclass
class SigningKit:
    """Sealing key, completer, mailer and page images for one process."""

    key: SealingKey
    completer: Completer
    mailer: Mailer
    pages: PdftoppmPages
    retention: RetentionPolicy
    tsa_roots: tuple[x509.Certificate, ...] = ()
    script_font: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_sealing_key(settings: Settings, now: datetime) -> SealingKey:
    """Return the PKCS#12 key when configured, else the development key under the data dir."""
    if settings.signing.pkcs12_path is not None:
        return load_pkcs12_file(settings.signing.pkcs12_path, settings.signing.pkcs12_password.get_secret_value())
    s3 = settings.s3
    longest = max(s3.contract_retention_years, s3.waiver_retention_years, s3.notice_retention_years)
    material = load_or_create_dev_sealing_key(settings.data_dir, now, retention_years=longest)
    if material.created:
        log.info("generated a development sealing certificate in %s", material.directory)
    return material.key


def retention_policy(settings: Settings) -> RetentionPolicy:
    """Return the Object Lock policy for sealed files from the S3 settings."""
    s3 = settings.s3
    return RetentionPolicy(
        mode=s3.retention_mode,
        years_by_kind={
            DocumentKind.CONTRACT: s3.contract_retention_years,
            DocumentKind.SCHEDULE: s3.contract_retention_years,
            DocumentKind.WAIVER: s3.waiver_retention_years,
            DocumentKind.NOTICE: s3.notice_retention_years,
        },
        default_years=s3.contract_retention_years,
    )


def revocation_context_factory(
    key: SealingKey, tsa_roots: tuple[x509.Certificate, ...]
) -> Callable[[], ValidationContext]:
    """Return a factory of validation contexts that fetch the OCSP/CRL data a B-LT seal embeds.

    Trusted: the sealing chain's roots and the TSA's roots. Revocation is ``hard-fail``: a seal that
    claims long-term validity must not be made while the revocation data cannot be fetched.
    """
    trusted = [_asn1(cert) for cert in (*key.trust_roots(), *tsa_roots)]
    others = [_asn1(cert) for cert in key.chain]
    return lambda: ValidationContext(
        trust_roots=trusted, other_certs=others, allow_fetching=True, revocation_mode="hard-fail"
    )


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def build_signing_kit(settings: Settings, now: datetime, *, mailer: Mailer) -> SigningKit:
    """Build the signing kit named by the settings, sending with the process's ``mailer``."""
    key = load_sealing_key(settings, now)
    tsa_url = settings.signing.tsa_url
    roots: tuple[x509.Certificate, ...] = ()
    if settings.signing.tsa_roots_path is not None:
        roots = tuple(x509.load_pem_x509_certificates(settings.signing.tsa_roots_path.read_bytes()))
    sealer = Sealer(
        key,
        timestamper=timestamper_for_url(tsa_url) if tsa_url else None,
        # Long-term (B-LT/B-LTA) needs the TSA's roots: without them its chain cannot be validated.
        validation_context_factory=revocation_context_factory(key, roots) if tsa_url and roots else None,
        location=settings.branding.msp_name,
    )
    return SigningKit(
        key=key,
        completer=Completer(sealer, archive_margin=timedelta(days=settings.signing.archive_margin_days)),
        mailer=mailer,
        pages=PdftoppmPages(),
        retention=retention_policy(settings),
        tsa_roots=roots,
        script_font=next((path for path in SCRIPT_FONT_FILES if path.exists()), None),
    )
