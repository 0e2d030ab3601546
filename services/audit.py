"""Audit use cases: sign and file checkpoints, verify the chain against them, search events.

Checkpoints are the part of the record a database administrator cannot forge: the head is signed
with the service key and the signed document is filed in the object store under Object Lock.
Verification therefore reads each listed checkpoint back from the object store by its version id
and checks its signature; the database copy of a checkpoint is never trusted, since whoever can
rewrite the chain in the database can rewrite that table too.

Every filed checkpoint is chained too: right after signing the head (tree size S), the service
records ``audit.checkpoint_filed`` (S + 1) with the SHA-256 of the stored object in the chained
``document_sha256`` and its key, version id and retention in the payload, so the next signed
head pins the previous one's object. That event moves the head past the checkpoint, so "the
head moved" cannot be the test for a new one: a head is signed when events *other than*
checkpoint-filed events were appended after the newest checkpoint. A quiet log therefore gets
one checkpoint and one filing event, and ``run-due`` signs nothing more until there is activity.
The checkpoint list is append-only and names who asked for each one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

from cryptography import x509

from domain.actor import Actor
from domain.audit import (
    SignedCheckpoint,
    bundle_entries,
    certificate_fingerprint,
    checkpoint_for,
    sign_checkpoint,
    verify_chain,
    write_bundle,
)
from domain.audit.checkpoint import SigningKey, verify_checkpoint_signature
from domain.audit_log import AuditVerification, CheckpointProblem, EventFilter, EventPage, StoredCheckpoint
from domain.blobs import Retention
from domain.calendar_years import add_years
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ports import AuditLog, AuditTrail, BlobStore, CheckpointRepository, Clock

MAX_PAGE = 500
CHECKPOINT_PREFIX = "audit/checkpoints"
CHECKPOINT_FILED = "audit.checkpoint_filed"
CHECKPOINT_SUBJECT = "checkpoint"


def checkpoint_object_sha256(signed: SignedCheckpoint) -> str:
    """Return the SHA-256 of a checkpoint's stored object (its canonical JSON and a newline).

    The same bytes are a line of ``checkpoints.jsonl`` and ``tree-heads.jsonl`` in a bundle, so
    a verifier can match the ``audit.checkpoint_filed`` event with the head it holds.
    """
    return hashlib.sha256(signed.to_json() + b"\n").hexdigest()


@dataclass(frozen=True)
class CheckpointPolicy:
    """How checkpoint documents are locked in the object store."""

    retention_mode: str = "GOVERNANCE"
    retention_years: int = 8


class AuditService:
    """Checkpoint, verify and search the audit chain."""

    def __init__(
        self,
        *,
        log: AuditLog,
        trail: AuditTrail,
        checkpoints: CheckpointRepository,
        blobs: BlobStore,
        clock: Clock,
        certificate: x509.Certificate,
        signing_key: SigningKey | None = None,
        policy: CheckpointPolicy | None = None,
    ) -> None:
        self._log = log
        self._trail = trail
        self._checkpoints = checkpoints
        self._blobs = blobs
        self._clock = clock
        self._certificate = certificate
        self._key = signing_key
        self._policy = policy or CheckpointPolicy()

    # -- checkpoints ---------------------------------------------------------------------------------

    def checkpoint(self, actor: Actor, *, only_if_changed: bool = False) -> StoredCheckpoint | None:
        """Sign the chain head, file the signed document under Object Lock, list it, chain it, and return it.

        Returns ``None`` when ``only_if_changed`` and nothing but checkpoint-filed events was
        appended after the newest checkpoint. An empty chain has nothing to sign (``Conflict``).
        """
        if self._key is None:
            raise RuntimeError("this AuditService was built without the signing key")
        head = self._log.head()
        if head is None:
            raise Conflict("The audit chain is empty: there is no head to sign yet.")
        if only_if_changed:
            latest = self._checkpoints.latest()
            if latest is not None and not self._log.activity_after(latest.seq, ignoring=CHECKPOINT_FILED):
                return None
        now = self._clock.now()
        signed = sign_checkpoint(checkpoint_for(head, now, self._certificate, self._log.tree_root(head.seq)), self._key)
        retention = Retention(
            mode=self._policy.retention_mode, retain_until=add_years(now, self._policy.retention_years)
        )
        stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
        blob = self._blobs.put(
            f"{CHECKPOINT_PREFIX}/{head.seq:012d}-{stamp}.json",
            signed.to_json() + b"\n",
            content_type="application/json",
            retention=retention,
        )
        stored = StoredCheckpoint(signed=signed, blob=blob, retention=retention, created_by=actor.label)
        self._checkpoints.add(stored)
        statement = signed.statement
        digest = checkpoint_object_sha256(signed)
        # No IP or user agent: a bundle of any client may show this event, and who asked is named without them.
        self._trail.record(
            replace(actor, ip=None, user_agent=None),
            CHECKPOINT_FILED,
            {CHECKPOINT_SUBJECT: digest},
            payload={
                "tree_size": statement.seq,
                "root": statement.root,
                "head_hash": statement.hash,
                "signed_at": statement.at.isoformat(),
                "object": {"key": blob.key, "version_id": blob.version_id, "sha256": digest},
                "retention_mode": retention.mode,
                "retain_until": retention.retain_until.isoformat(),
            },
            document_sha256=digest,
        )
        return stored

    def latest_head_seq(self) -> int:
        """Return the seq of the newest event (0 for an empty chain)."""
        head = self._log.head()
        return 0 if head is None else head.seq

    def trusted_checkpoints(self) -> tuple[list[SignedCheckpoint], int, list[CheckpointProblem]]:
        """Read every listed checkpoint of the service certificate back from the object store and check it.

        Returns the sound ones, how many were signed under another certificate (skipped), and the
        problems (missing object, malformed or badly signed document).
        """
        good: list[SignedCheckpoint] = []
        problems: list[CheckpointProblem] = []
        other = 0
        fingerprint = certificate_fingerprint(self._certificate)
        for listed in self._checkpoints.all():
            # Only the object's bytes count: the listing row could have been rewritten with the chain.
            blob = listed.blob
            where = (listed.seq, blob.key, blob.version_id)
            try:
                data = self._blobs.get(blob.key, blob.version_id)
            except NotFound:
                problems.append(CheckpointProblem(*where, "the checkpoint object version is missing from the store"))
                continue
            try:
                signed = SignedCheckpoint.from_json(data)
            except InvalidInput as exc:
                problems.append(CheckpointProblem(*where, f"the stored checkpoint is malformed: {exc.detail}"))
                continue
            if signed.statement.signer_cert_sha256 != fingerprint:
                other += 1
                continue
            if not verify_checkpoint_signature(signed, self._certificate):
                problems.append(CheckpointProblem(*where, "the stored checkpoint's signature does not verify"))
                continue
            good.append(signed)
        return good, other, problems

    # -- whole-log export ----------------------------------------------------------------------------

    def export_log(self, actor: Actor) -> Iterator[bytes]:
        """Sign the head now and return the whole-log bundle up to that head, as zip bytes piece by piece.

        The bundle (``domain/audit/bundle.py``, format 1) holds every event from seq 1 and every
        trusted signed tree head, for an outside auditor to check with ``undersign audit
        verify-log`` or the standalone verifier. The event that files the new head comes after
        it, so the log ends at the signed head and every exported event is covered.
        """
        stored = self.checkpoint(actor)
        if stored is None:  # only_if_changed is off, so a head is always signed
            raise RuntimeError("a checkpoint was not signed")
        head = stored.signed.statement.seq
        good, _, _ = self.trusted_checkpoints()
        entries = bundle_entries(
            events=self._log.stream(up_to_seq=head),
            checkpoints=[signed for signed in good if signed.statement.seq <= head],
            certificate=self._certificate,
            documents=(),
            exported_at=stored.signed.statement.at,
        )
        return write_bundle(entries, modified_at=stored.signed.statement.at)

    # -- verification --------------------------------------------------------------------------------

    def verify(self) -> AuditVerification:
        """Verify the whole chain in stored order against the checkpoints read from the object store."""
        good, other, problems = self.trusted_checkpoints()
        verdict = verify_chain(self._log.stream(), [signed.statement for signed in good])
        return AuditVerification(
            verdict=verdict, checkpoints_verified=len(good), checkpoints_other_certificate=other, problems=problems
        )

    # -- search --------------------------------------------------------------------------------------

    def search(self, where: EventFilter, limit: int) -> EventPage:
        """Return one page of matching events, newest first, and the cursor of the next page."""
        limit = max(1, min(limit, MAX_PAGE))
        rows = self._log.find(where, limit + 1)
        items = rows[:limit]
        next_before = items[-1][0].seq if len(rows) > limit else None
        return EventPage(items=items, next_before_seq=next_before)
