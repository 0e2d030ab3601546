"""An in-memory ``EnvelopeRepository``: envelopes, signers, hashed link tokens and events, kept as the SQL one does."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from PIL import Image
from pypdf import PdfReader

from domain.actor import Actor
from domain.envelopes import (
    Envelope,
    EnvelopeEvent,
    EnvelopeFilter,
    EnvelopeStatus,
    LinkGrant,
    Signer,
    page_image_key,
)
from domain.errors import Conflict
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.unit_of_work import Transactional

_OPEN = (EnvelopeStatus.SENT, EnvelopeStatus.COMPLETING)


class FakeEnvelopeRepository(Transactional):
    """Envelopes and signers in dicts; events in order; tokens only by their hash."""

    TABLES: ClassVar[tuple[str, ...]] = ("envelopes", "signers", "tokens", "token_limits", "event_log")

    def __init__(self) -> None:
        self.envelopes: dict[str, Envelope] = {}
        self.signers: dict[str, Signer] = {}
        self.tokens: dict[str, tuple[str, str, datetime]] = {}
        self.token_limits: dict[str, tuple[datetime | None, str | None]] = {}
        self.event_log: list[EnvelopeEvent] = []

    def _with_signers(self, envelope: Envelope) -> Envelope:
        signers = sorted((s for s in self.signers.values() if s.envelope_id == envelope.id), key=lambda s: s.position)
        return replace(envelope, signers=tuple(signers))

    def add(self, envelope: Envelope) -> None:
        """Insert an envelope and its signers."""
        if envelope.id in self.envelopes:
            raise Conflict(f"An envelope with id '{envelope.id}' already exists.")
        self.envelopes[envelope.id] = replace(envelope, signers=())
        for signer in envelope.signers:
            self.signers[signer.id] = signer

    def update(self, envelope: Envelope) -> None:
        """Store the envelope's and its signers' fields."""
        if envelope.id in self.envelopes:
            self.envelopes[envelope.id] = replace(envelope, signers=())
            for signer in envelope.signers:
                self.update_signer(signer)

    def update_signer(self, signer: Signer) -> None:
        """Store one signer's fields."""
        if signer.id in self.signers:
            self.signers[signer.id] = signer

    def get(self, envelope_id: str) -> Envelope | None:
        """Return the envelope with its signers (by position), or ``None``."""
        envelope = self.envelopes.get(envelope_id)
        return self._with_signers(envelope) if envelope else None

    def lock(self, envelope_id: str) -> Envelope | None:
        """Return the envelope (a single-threaded fake has nothing to wait for)."""
        return self.get(envelope_id)

    def add_token(
        self,
        token_hash: str,
        signer_id: str,
        envelope_id: str,
        at: datetime,
        *,
        expires_at: datetime | None = None,
        frame_origin: str | None = None,
    ) -> None:
        """Record the hash of a link token; the same hash twice is a ``Conflict`` (it is the primary key)."""
        if token_hash in self.tokens:
            raise Conflict("That link token is already issued.")
        self.tokens[token_hash] = (envelope_id, signer_id, at)
        self.token_limits[token_hash] = (expires_at, frame_origin)

    def grant(self, token_hash: str) -> LinkGrant | None:
        """Return what a token hash opens, or ``None``."""
        found = self.tokens.get(token_hash)
        if found is None:
            return None
        expires_at, frame_origin = self.token_limits.get(token_hash, (None, None))
        return LinkGrant(found[0], found[1], expires_at, frame_origin)

    def by_token(self, token_hash: str) -> tuple[str, str] | None:
        """Return ``(envelope_id, signer_id)`` for a token hash, or ``None``."""
        found = self.tokens.get(token_hash)
        return (found[0], found[1]) if found else None

    def add_event(self, event: EnvelopeEvent) -> None:
        """Append one envelope event."""
        self.event_log.append(event)

    def events(self, envelope_id: str) -> list[EnvelopeEvent]:
        """Return the envelope's events, oldest first."""
        return [e for e in self.event_log if e.envelope_id == envelope_id]

    def search(self, where: EnvelopeFilter, limit: int) -> list[Envelope]:
        """Return envelopes matching ``where``, newest first."""
        found = [
            e
            for e in self.envelopes.values()
            if (where.client_id is None or e.client_id == where.client_id)
            and (where.status is None or e.status is where.status)
        ]
        found.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        return [self._with_signers(e) for e in found[:limit]]

    def open_for_document(self, document_id: str, version: int) -> list[str]:
        """Return ids of unfinished (sent or completing) envelopes over a document version."""
        return [
            e.id
            for e in self.envelopes.values()
            if e.document_id == document_id and e.version == version and e.status in _OPEN
        ]

    def claim_due(self, kind: str, now: datetime, limit: int) -> list[Envelope]:
        """Return up to ``limit`` envelopes with due work of ``kind`` (expire, remind, seal), oldest first."""
        if kind == "expire":
            found = [e for e in self.envelopes.values() if e.status is EnvelopeStatus.SENT and e.expires_at <= now]
        elif kind == "remind":
            found = [
                e
                for e in self.envelopes.values()
                if e.status is EnvelopeStatus.SENT
                and e.next_reminder_at is not None
                and e.next_reminder_at <= now
                and e.expires_at > now
            ]
        elif kind == "seal":
            found = [e for e in self.envelopes.values() if e.status is EnvelopeStatus.COMPLETING]
        else:
            raise ValueError(f"unknown due work {kind!r}")
        found.sort(key=lambda e: e.created_at)
        return [self._with_signers(e) for e in found[:limit]]


class RecordingOutcomeListener:
    """An ``EnvelopeOutcomeListener`` that keeps each outcome it was told of as ``(outcome, envelope id)``."""

    def __init__(self) -> None:
        self.outcomes: list[tuple[str, str]] = []

    def envelope_sent(self, actor: Actor, envelope_id: str, document_id: str, version: int, sent_at: datetime) -> None:
        """Record a send."""
        self.outcomes.append(("sent", envelope_id))

    def envelope_viewed(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, viewed_at: datetime
    ) -> None:
        """Record a view."""
        self.outcomes.append(("viewed", envelope_id))

    def envelope_completed(
        self,
        actor: Actor,
        envelope_id: str,
        document_id: str,
        version: int,
        completed_at: datetime,
        signers: list[dict[str, str]],
    ) -> None:
        """Record a completion."""
        self.outcomes.append(("completed", envelope_id))

    def envelope_declined(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, declined_at: datetime, reason: str
    ) -> None:
        """Record a decline."""
        self.outcomes.append(("declined", envelope_id))


class FakeDocumentPages:
    """A ``DocumentPages`` over a fake store: ``render_requested`` plays the render task (one blank PNG per page).

    The page count is read from the PDF itself (pypdf), bytes whose SHA-256 is not the one asked for
    are refused, and ``loads`` counts renders: a PDF asked for twice is rendered once.
    """

    def __init__(self, blobs: FakeBlobStore) -> None:
        self._blobs = blobs
        self.loads = 0
        self.counts: dict[str, int] = {}
        self.requested: dict[str, tuple[str, str | None]] = {}

    def ready(self, sha256: str) -> int | None:
        """Return the page count once the images are stored, else ``None``."""
        return self.counts.get(sha256)

    def request(self, sha256: str, key: str, version_id: str | None) -> None:
        """Remember the request (once per PDF)."""
        self.requested.setdefault(sha256, (key, version_id))

    def render_requested(self) -> None:
        """Render every requested PDF not yet rendered into the store, as the task does."""
        for sha256, (key, version_id) in self.requested.items():
            if sha256 in self.counts:
                continue
            self.loads += 1
            pdf = self._blobs.get(key, version_id)
            if hashlib.sha256(pdf).hexdigest() != sha256:
                raise ValueError("the loaded PDF is not the document whose pages were asked for")
            count = len(PdfReader(io.BytesIO(pdf)).pages)
            for index in range(count):
                self._blobs.put(page_image_key(sha256, index), _blank_png(), content_type="image/png")
            self.counts[sha256] = count


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 85), "white").save(out, format="PNG")
    return out.getvalue()
