"""The seal on evidence summaries and refusal records: the service's own sealing key (the runtime builds one).

A refusal to sign is evidence, so its record carries our PAdES seal (with the TSA's time when one
is configured), like a signed document does.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime

from adapters.signing_keys import timestamper_for_url
from domain.sealing.html_pages import HtmlPageWriter
from domain.sealing.keys import SealingKey
from domain.sealing.seal import Sealer, SealMetadata


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


def build_evidence_seal(key: SealingKey, tsa_url: str | None) -> EvidenceSeal:
    """Return an evidence seal with the service's sealing ``key`` (and the TSA's time when one is set)."""
    return EvidenceSeal(Sealer(key, timestamper=timestamper_for_url(tsa_url) if tsa_url else None))
