"""The seal on evidence summaries and refusal records: the service's sealing key, loaded once per process.

A refusal to sign is evidence, so its record carries our PAdES seal (with the TSA's time when one
is configured), like a signed document does.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime

from adapters.signing_keys import timestamper_for_url
from adapters.signing_kit import load_sealing_key
from domain.sealing.html_pages import HtmlPageWriter
from domain.sealing.seal import Sealer, SealMetadata
from undersign.settings import Settings

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str, str], EvidenceSeal] = {}


class EvidenceSeal:
    """Renders and seals evidence summaries; one per process (WeasyPrint fonts and the key load once)."""

    def __init__(self, sealer: Sealer) -> None:
        self.writer = HtmlPageWriter()
        self._sealer = sealer
        self._lock = threading.Lock()

    def seal(self, subject: str, pdf: bytes, now: datetime) -> bytes:
        """Return ``pdf`` sealed, naming ``subject`` (``envelope:ENV-1``) in the seal's metadata."""
        metadata = SealMetadata(
            envelope_id=f"evidence:{subject}"[:128],
            document_id="evidence-summary",
            document_version=1,
            sent_sha256=hashlib.sha256(pdf).hexdigest(),
            sent_length=len(pdf),
        )
        with self._lock:  # WeasyPrint and pyHanko's loop are not shared across threads
            return self._sealer.seal(pdf, metadata, sealed_at=now)


def evidence_seal(settings: Settings, now: datetime) -> EvidenceSeal:
    """Return the process's evidence seal for these settings (built on first use)."""
    key = (str(settings.data_dir), str(settings.signing.pkcs12_path), settings.signing.tsa_url or "")
    found = _CACHE.get(key)
    if found is None:
        with _LOCK:
            found = _CACHE.get(key)
            if found is None:
                tsa = settings.signing.tsa_url
                sealer = Sealer(load_sealing_key(settings, now), timestamper=timestamper_for_url(tsa) if tsa else None)
                found = EvidenceSeal(sealer)
                _CACHE[key] = found
    return found
