"""``MeasuredRenderer``: any document renderer, counted and timed for Prometheus.

It wraps the pool rather than living inside it, so the pool stays about rendering. The in-flight
count includes renders waiting for a worker; beyond the number of workers they are queued, which
is what the "render pool saturated" alert watches.
"""

from __future__ import annotations

import threading
import time

from domain.assembly.assemble import AssembledDocument
from domain.errors import RenderBudgetExceeded
from domain.ports import DocumentRenderer
from domain.render_job import RenderJob, RenderResult
from undersign.metrics import RENDER_IN_FLIGHT, RENDER_QUEUE, RENDER_SECONDS, RENDER_WORKERS, RENDERS


class MeasuredRenderer:
    """Counts, times and tracks the load of the renders it passes on."""

    def __init__(self, inner: DocumentRenderer, workers: int) -> None:
        self.inner = inner
        self._workers = workers
        self._in_flight = 0
        self._lock = threading.Lock()
        RENDER_WORKERS.set(workers)

    @property
    def parallelism(self) -> int:
        """How many renders may usefully run at once: the wrapped pool's workers (1 for an inline renderer)."""
        workers = getattr(self.inner, "workers", 1)
        return workers if isinstance(workers, int) and workers > 0 else 1

    def _load(self, change: int) -> None:
        with self._lock:
            self._in_flight += change
            RENDER_IN_FLIGHT.set(self._in_flight)
            RENDER_QUEUE.set(max(0, self._in_flight - self._workers))

    def render(self, job: RenderJob) -> RenderResult:
        """Render through the wrapped renderer, recording outcome and duration."""
        self._load(+1)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = self.inner.render(job)
            outcome = "ok"
            return result
        except RenderBudgetExceeded:
            outcome = "budget_exceeded"
            raise
        finally:
            self._load(-1)
            RENDERS.labels(job.template_id, outcome).inc()
            RENDER_SECONDS.labels(job.template_id).observe(time.perf_counter() - started)

    def html(self, document: AssembledDocument) -> str:
        """Return the HTML preview (not measured: no layout)."""
        return self.inner.html(document)

    def close(self) -> None:
        """Close the wrapped renderer if it holds processes."""
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
