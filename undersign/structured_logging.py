"""Structured logs: one JSON object per line (or readable lines in development), secrets scrubbed.

structlog renders our own events and, through its ``ProcessorFormatter``, every standard-library
log record too (uvicorn, SQLAlchemy, our modules' ``logging.getLogger``), so a log collector
receives one format. Every line of a request carries its ``request_id`` (bound by the access-log
middleware). The redaction step runs last before rendering: bearer keys, signing secrets,
signing-link tokens and password-like fields never reach the output, even if a message or an
exception happens to contain them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

# Field names whose values are never logged.
_SECRET_KEYS = re.compile(r"(authorization|password|secret|token|api[_-]?key|cookie)", re.IGNORECASE)
# Values that look like credentials wherever they appear in a message.
_SECRET_VALUES = (
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"whsec_[A-Za-z0-9+/=]+"), "whsec_[redacted]"),
    (re.compile(r"(/sign/)[A-Za-z0-9_-]{8,}"), r"\1[redacted]"),
    (re.compile(r"(?i)(password|secret|token)=([^&\s]+)"), r"\1=[redacted]"),
)


def scrub(text: str) -> str:
    """Return ``text`` with anything that looks like a credential replaced."""
    for pattern, replacement in _SECRET_VALUES:
        text = pattern.sub(replacement, text)
    return text


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Structlog processor: drop secret-named fields and scrub credential-like text from the rest."""
    for key in list(event):
        value = event[key]
        if _SECRET_KEYS.search(key) and key != "event":
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = scrub(value)
    return event


def configure_logging(fmt: str = "json", level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log record, ours and the libraries', to ``stream`` (stderr) as JSON or console lines."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.ExtraAdder(),  # fields passed as ``extra=`` (the access line) become JSON keys
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own handlers would print a second, unstructured copy; let its records reach ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # our access line replaces it
    # WeasyPrint narrates every render step at INFO ("Step 2 - Fetching and parsing CSS"): noise, not events.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
