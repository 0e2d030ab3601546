"""Work that runs outside a request: the ``run-due`` jobs, sealing after the last signature, the dunning run.

Each item of work gets its own unit of work, so its effect and its "done" mark commit together:
a crash repeats nothing and loses nothing, and two hosts running at once never do the same item
(rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from email.utils import parseaddr

from sqlalchemy import select

from domain.actor import Actor, ActorKind
from domain.errors import TimestampUnavailable, UndersignError
from domain.ports import EnvelopeOutcomeListener
from services.dunning import ClientTerms, DunningService
from services.dunning_run import RunReport, UnitFactory, run_dunning
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.envelope_repository import SqlEnvelopeRepository
from storage.tables import audit_head
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory

log = logging.getLogger("undersign.jobs")
SCHEDULER = Actor(name="scheduler", kind=ActorKind.SYSTEM)
# Upper bound per run and kind: a cron run is bounded even if something keeps coming back.
MAX_ITEMS = 500

# A job does one kind of due work and returns counts for the summary line (e.g. {"reminded": 2}).
DueJob = Callable[[Runtime], dict[str, int]]


def checkpoint_due(runtime: Runtime) -> dict[str, int]:
    """Sign and file a checkpoint when the chain head moved since the last one."""
    with unit_of_work(runtime.sessions) as session:
        # Hold the chain head while deciding and signing: two hosts running run-due at once then
        # sign the head once (the second sees the first's checkpoint), and the signed head is the head.
        session.execute(select(audit_head.c.seq).where(audit_head.c.id == 1).with_for_update()).one()
        if SqlAuditTrail(session, runtime.clock).head() is None:
            return {"signed": 0}
        stored = ServiceFactory(session, runtime).audit().checkpoint(SCHEDULER, only_if_changed=True)
    return {"signed": 0 if stored is None else 1}


def reviews_due(runtime: Runtime) -> dict[str, int]:
    """Risk records whose review date came turn review-due (the MSP is reminded), then expire."""
    settings = runtime.settings
    sender = parseaddr(settings.mail.sender)[1]
    remind = tuple(settings.audit.risk_reminder_to) or ((sender,) if "@" in sender else ())
    today = runtime.clock.now().date()
    with unit_of_work(runtime.sessions) as session:
        service = ServiceFactory(session, runtime).risks()
        flagged = service.flag_reviews(SCHEDULER, today, runtime.mailer, remind)
        expired = service.expire_overdue(SCHEDULER, today, settings.audit.risk_expiry_grace_days)
    return {"review_due": flagged, "expired": expired}


def complete_in_own_transaction(
    runtime: Runtime, envelope_id: str, extra: Sequence[EnvelopeOutcomeListener] = ()
) -> str | None:
    """Try to seal and file one envelope in its own unit of work; return its status (``None`` on error)."""
    try:
        with unit_of_work(runtime.sessions) as session:
            factory = ServiceFactory(session, runtime)
            return factory.completion().complete(envelope_id).status.value
    except UndersignError as exc:
        # Left `completing`; run-due retries. The signer's signature is already committed.
        log.warning("completion of envelope %s failed, will retry: %s", envelope_id, exc.detail)
        return None


def envelope_due(runtime: Runtime) -> dict[str, int]:
    """Expire envelopes, send due reminders and retry sealing; return how many of each were done."""
    counts = {"expired": 0, "reminded": 0, "sealed": 0, "seal_deferred": 0}
    for _ in range(MAX_ITEMS):
        with unit_of_work(runtime.sessions) as session:
            if not ServiceFactory(session, runtime).envelopes().expire_one():
                break
        counts["expired"] += 1
    for _ in range(MAX_ITEMS):
        with unit_of_work(runtime.sessions) as session:
            if not ServiceFactory(session, runtime).envelopes().remind_one():
                break
        counts["reminded"] += 1
    seen: set[str] = set()
    for _ in range(MAX_ITEMS):
        try:
            with unit_of_work(runtime.sessions) as session:
                claimed = [
                    e
                    for e in SqlEnvelopeRepository(session).claim_due("seal", runtime.clock.now(), 50)
                    if e.id not in seen
                ]
                if not claimed:
                    break
                envelope = claimed[0]
                seen.add(envelope.id)
                done = ServiceFactory(session, runtime).completion().complete_locked(envelope)
        except UndersignError:
            counts["seal_deferred"] += 1
            continue
        counts["sealed" if done.status.value == "completed" else "seal_deferred"] += 1
    return counts


def archive_due(runtime: Runtime) -> dict[str, int]:
    """Add fresh archive timestamps to sealed copies whose certificates near expiry; a TSA outage defers."""
    counts = {"archived": 0, "deferred": 0}
    if not runtime.kit.completer.sealer.long_term:
        return counts
    for _ in range(MAX_ITEMS):
        try:
            with unit_of_work(runtime.sessions) as session:
                if not ServiceFactory(session, runtime).archive().archive_one():
                    break
        except TimestampUnavailable:
            counts["deferred"] += 1
            break
        counts["archived"] += 1
    return counts


def dunning_units(runtime: Runtime) -> UnitFactory:
    """Return a factory of units of work, each yielding a dunning service (one per invoice of a run)."""
    cache: dict[str, ClientTerms] = {}

    @contextmanager
    def open_unit() -> Iterator[DunningService]:
        with unit_of_work(runtime.sessions) as session:
            yield ServiceFactory(session, runtime).dunning(cache)

    return open_unit


def dunning_workers(runtime: Runtime) -> int:
    """Return how many invoices a run handles at once: the render workers, or 1 on SQLite (one writer)."""
    if runtime.settings.database_url.startswith("sqlite"):
        return 1
    return runtime.settings.render.workers


def run_dunning_for(
    runtime: Runtime,
    actor: Actor,
    as_of: date,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Plan or perform the ladder run for ``as_of`` as ``actor``, one unit of work per invoice."""
    return run_dunning(
        dunning_units(runtime), actor, as_of, dry_run=dry_run, workers=dunning_workers(runtime), progress=progress
    )


def dunning_counts(report: RunReport) -> dict[str, int]:
    """Return the counts of a run for a summary line."""
    return {
        "invoices": report.invoices,
        "issued": report.issued,
        "awaiting_approval": report.awaiting_approval,
        "tasks": report.tasks,
        "skipped": report.skipped,
        "held": report.held,
        "suspended": report.suspended,
        "reinstated": report.reinstated,
        "failed": len(report.failed),
    }


def dunning_due(runtime: Runtime) -> dict[str, int]:
    """Run the ladder for today and return the counts of what it did."""
    return dunning_counts(run_dunning_for(runtime, SCHEDULER, runtime.clock.now().date()))


def webhooks_due(runtime: Runtime) -> dict[str, int]:
    """Deliver every webhook due now and forget delivery history past its keep time."""
    from undersign.webhooks_runtime import webhooks_due as deliver_due

    return deliver_due(runtime)


def purge_idempotency_keys(runtime: Runtime) -> dict[str, int]:
    """Forget idempotency keys past their 24 hours (a stored answer is kept no longer than promised)."""
    from storage.idempotency_store import SqlIdempotencyStore

    return {"purged": SqlIdempotencyStore(runtime.sessions).purge(runtime.clock.now())}


# The jobs of ``run-due``, in the order they run.
JOBS: list[tuple[str, DueJob]] = [
    ("risk-reviews", reviews_due),
    ("envelopes", envelope_due),
    ("dunning", dunning_due),
    ("archive-timestamps", archive_due),
    ("webhooks", webhooks_due),
    ("idempotency-keys", purge_idempotency_keys),
    # Last, so the signed head covers what the jobs above recorded.
    ("audit-checkpoint", checkpoint_due),
]


def run_jobs(runtime: Runtime, jobs: Sequence[tuple[str, DueJob]] = ()) -> dict[str, dict[str, int]]:
    """Run every due job once and return what each did; a job that fails is logged and the next one runs.

    One job's failure (a record no check foresaw) must not stop the others: above all, the audit
    checkpoint at the end must still be signed.
    """
    done: dict[str, dict[str, int]] = {}
    for name, job in jobs or JOBS:
        try:
            done[name] = job(runtime)
        except Exception:
            log.exception("run-due: job %s failed", name)
            done[name] = {"job_failed": 1}
    return done
