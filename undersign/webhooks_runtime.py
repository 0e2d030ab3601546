"""Wiring of webhook delivery: the dispatcher over a runtime's database, sender and mailer.

The API (an in-process worker thread in development), ``undersign webhooks worker`` and
``undersign run-due`` all build the dispatcher here, so they deliver identically.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from adapters.clock import SystemClock
from adapters.webhook_sender import HttpWebhookSender
from services.webhook_delivery import AttemptObserver, WebhookDispatcher, WebhookUnit
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.webhook_repository import SqlWebhookRepository, purge_history
from undersign.metrics import observe_webhook
from undersign.runtime import Runtime

log = logging.getLogger("undersign.webhooks")


def build_dispatcher(runtime: Runtime, observe: AttemptObserver | None = observe_webhook) -> WebhookDispatcher:
    """Return a dispatcher delivering from ``runtime``'s database with the configured sender."""
    settings = runtime.settings

    @contextmanager
    def units() -> Iterator[WebhookUnit]:
        with unit_of_work(runtime.sessions) as session:
            yield WebhookUnit(SqlWebhookRepository(session), SqlAuditTrail(session, runtime.clock))

    sender = HttpWebhookSender(
        allow_private=settings.webhooks_may_reach_private, timeout_seconds=settings.webhooks.timeout_seconds
    )
    return WebhookDispatcher(
        units,
        sender,
        runtime.clock,
        base_url=settings.server.public_url,
        mailer=runtime.mailer,
        batch=settings.webhooks.batch,
        # Signatures carry the real time: receivers refuse timestamps more than five minutes off.
        signing_clock=SystemClock(),
        observe=observe,
    )


def webhooks_due(runtime: Runtime) -> dict[str, int]:
    """Deliver every webhook due now, then forget history past its keep time (a ``run-due`` job)."""
    counts = build_dispatcher(runtime).run_once()
    keep = timedelta(days=runtime.settings.webhooks.keep_days)
    with unit_of_work(runtime.sessions) as session:
        counts["purged"] = purge_history(session, runtime.clock.now() - keep)
    return counts


def run_worker(runtime: Runtime, stop: threading.Event, observe: AttemptObserver | None = observe_webhook) -> None:
    """Deliver due webhooks every ``poll_seconds`` until ``stop`` is set; errors are logged, never fatal."""
    dispatcher = build_dispatcher(runtime, observe)
    while not stop.is_set():
        try:
            counts = dispatcher.run_once()
            if any(counts.values()):
                log.info("webhooks: %s", counts)
        except Exception:  # a database blip must not end the worker; it tries again next round
            log.exception("webhook delivery round failed")
        stop.wait(runtime.settings.webhooks.poll_seconds)
