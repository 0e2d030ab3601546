"""Prometheus metrics: what this process measures, and what the database says at scrape time.

Process metrics (request latency by route, renders and their duration, the render pool's load,
webhook delivery attempts) live in this module's registry. Database figures (audit chain length,
age of the last checkpoint, seals, seals waiting for a retry, webhook deliveries by state,
dunning steps) are read when ``/metrics`` is scraped, so every replica reports the same values.
With several uvicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` and the process metrics of all
workers are merged (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from storage.metrics_queries import read_figures

REGISTRY = CollectorRegistry()

HTTP_LATENCY = Histogram(
    "undersign_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
RENDERS = Counter(
    "undersign_renders_total", "Documents rendered, by template and outcome", ["template", "outcome"], registry=REGISTRY
)
RENDER_SECONDS = Histogram(
    "undersign_render_duration_seconds",
    "Time to render a document (queueing included), by template",
    ["template"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
    registry=REGISTRY,
)
RENDER_IN_FLIGHT = Gauge(
    "undersign_render_pool_in_flight", "Renders submitted and not finished", registry=REGISTRY, multiprocess_mode="sum"
)
RENDER_QUEUE = Gauge(
    "undersign_render_pool_queue_depth",
    "Renders waiting for a free worker",
    registry=REGISTRY,
    multiprocess_mode="sum",
)
RENDER_WORKERS = Gauge(
    "undersign_render_pool_workers", "Render worker processes", registry=REGISTRY, multiprocess_mode="sum"
)
WEBHOOK_ATTEMPTS = Counter(
    "undersign_webhook_delivery_attempts_total",
    "Webhook requests made, by event type and outcome (delivered or failed)",
    ["event_type", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_SECONDS = Histogram(
    "undersign_webhook_delivery_duration_seconds",
    "Time a receiver took to answer",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)


def observe_webhook(event_type: str, delivered: bool, seconds: float) -> None:
    """Count one webhook request (the delivery worker's observer)."""
    WEBHOOK_ATTEMPTS.labels(event_type, "delivered" if delivered else "failed").inc()
    WEBHOOK_SECONDS.observe(seconds)


class DatabaseCollector(Collector):
    """Reads the database figures when scraped."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self._engine = engine
        self._now = now

    def collect(self) -> Iterable[Metric]:
        """Yield one family per figure."""
        figures = read_figures(self._engine)
        yield GaugeMetricFamily(
            "undersign_audit_chain_length", "Events in the audit chain", value=figures.audit_chain_length
        )
        if figures.last_checkpoint_at is not None:
            age = (self._now - figures.last_checkpoint_at).total_seconds()
            yield GaugeMetricFamily(
                "undersign_audit_last_checkpoint_age_seconds", "Age of the newest signed checkpoint", value=age
            )
            behind = figures.audit_chain_length - (figures.last_checkpoint_seq or 0)
            yield GaugeMetricFamily(
                "undersign_audit_events_since_checkpoint", "Events not yet covered by a checkpoint", value=behind
            )
        yield CounterMetricFamily("undersign_seals", "Sealed documents filed", value=figures.seals)
        yield GaugeMetricFamily(
            "undersign_envelopes_awaiting_seal",
            "Envelopes signed by all, waiting for a seal retry",
            value=figures.awaiting_seal,
        )
        yield GaugeMetricFamily(
            "undersign_seal_attempts_pending",
            "Failed seal attempts of the envelopes still waiting",
            value=figures.seal_attempts_pending,
        )
        deliveries = GaugeMetricFamily("undersign_webhook_deliveries", "Webhook deliveries by state", labels=["status"])
        for status in ("pending", "delivered", "failed"):
            deliveries.add_metric([status], figures.webhook_deliveries.get(status, 0))
        yield deliveries
        yield GaugeMetricFamily(
            "undersign_webhook_endpoints_disabled",
            "Webhook endpoints disabled after failing",
            value=figures.webhook_endpoints_disabled,
        )
        steps = CounterMetricFamily(
            "undersign_dunning_steps", "Dunning ladder steps recorded", labels=["kind", "status"]
        )
        for (kind, status), count in sorted(figures.dunning_steps.items()):
            steps.add_metric([kind, status], count)
        yield steps


def exposition(engine: Engine, now: datetime) -> bytes:
    """Return the text exposition of this process's (or all workers') metrics and the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        process = generate_latest(merged)
    else:
        process = generate_latest(REGISTRY)
    database = CollectorRegistry()
    database.register(DatabaseCollector(engine, now))
    return process + generate_latest(database)
