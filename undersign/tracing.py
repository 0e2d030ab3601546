"""Optional OpenTelemetry traces: on when an OTLP exporter is configured, off (and free) otherwise.

Set ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) and install the
``otel`` extra (``pip install undersign[otel]``); every request then becomes a span named after
its route template, sent over OTLP/HTTP in batches. The other ``OTEL_*`` variables
(``OTEL_SERVICE_NAME``, headers, sampling) work as the OpenTelemetry SDK documents them. Signing
tokens in URLs are scrubbed from span attributes, and no header is recorded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from undersign.structured_logging import scrub

log = logging.getLogger("undersign.tracing")
_URL_ATTRIBUTES = ("http.target", "http.url", "url.path", "url.full")


def exporter_configured(environ: Mapping[str, str]) -> bool:
    """Return whether the environment names an OTLP endpoint for traces."""
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def _scrub_span(span: Any, scope: dict[str, Any]) -> None:
    if span is None or not span.is_recording():
        return
    path = scrub(str(scope.get("path", "")))
    for name in _URL_ATTRIBUTES:
        span.set_attribute(name, path)
    span.set_attribute("url.query", "")  # query strings may carry tokens; they are not traced


def install_tracing(app: FastAPI, environ: Mapping[str, str] | None = None) -> Any:
    """Trace ``app``'s requests when an exporter is configured; return the tracer provider, or ``None``."""
    env = os.environ if environ is None else environ
    if not exporter_configured(env):
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is missing: pip install undersign[otel]")
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "undersign")}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        server_request_hook=_scrub_span,
        excluded_urls="/metrics,/healthz,/readyz",
        exclude_spans=["receive", "send"],
    )
    app.state.tracer_provider = provider
    log.info("OpenTelemetry traces go to the configured OTLP endpoint")
    return provider
