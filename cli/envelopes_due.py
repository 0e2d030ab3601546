"""The envelope jobs of ``undersign run-due``: expire envelopes, send due reminders, retry sealing.

Each item is claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and done in its own unit of work,
so its effect and its "done" mark commit together and two hosts never do the same item.
"""

from __future__ import annotations

from adapters.signing_kit import SigningKit, build_signing_kit
from api.deps_envelopes import completion_service_for, envelope_service_for, listeners_for
from domain.errors import UndersignError
from storage.database import unit_of_work
from storage.envelope_repository import SqlEnvelopeRepository
from undersign.runtime import Runtime

# Upper bound per run and kind: a cron run is bounded even if something keeps coming back.
MAX_ITEMS = 500


def envelope_due(runtime: Runtime, kit: SigningKit | None = None) -> dict[str, int]:
    """Expire, remind and retry sealing; return how many of each were done."""
    kit = kit or build_signing_kit(runtime.settings, runtime.clock.now())
    counts = {"expired": 0, "reminded": 0, "sealed": 0, "seal_deferred": 0}
    for _ in range(MAX_ITEMS):
        with unit_of_work(runtime.sessions) as session:
            if not envelope_service_for(session, runtime, kit).expire_one():
                break
        counts["expired"] += 1
    for _ in range(MAX_ITEMS):
        with unit_of_work(runtime.sessions) as session:
            if not envelope_service_for(session, runtime, kit).remind_one():
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
                listeners = listeners_for(session, runtime)
                done = completion_service_for(session, runtime, kit, listeners).complete_locked(envelope)
        except UndersignError:
            counts["seal_deferred"] += 1
            continue
        counts["sealed" if done.status.value == "completed" else "seal_deferred"] += 1
    return counts
