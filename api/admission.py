"""Admission: a process lets in at most as many requests at once as its database pool has connections.

Our routes are synchronous: each runs in a thread of the server's pool (40 by default) and holds a
pooled database connection (15 by default) for most of its life. With more requests in flight than
connections, the extra threads wait for a connection for ``pool_timeout_seconds`` and then answer
503, although nothing is wrong but a burst (200 signers opening their links at once did that); and
the threads that do hold connections share the interpreter lock with all the waiting ones, so every
statement, including those run while holding the audit chain's head lock, takes longer.

Here a request waits for a slot before any thread or connection is taken, in the event loop where
waiting costs nothing, for at most ``queue_seconds``; after that it answers 503 problem+json with
``Retry-After`` (a person's browser gets the plain busy page), and nothing has been done. Health
probes and metrics are never queued.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_response

_NEVER_QUEUED = frozenset({"/healthz", "/readyz", "/metrics"})


class AdmissionMiddleware:
    """Let at most ``slots`` requests into the app at once; the others wait up to ``queue_seconds``, then 503."""

    def __init__(self, app: ASGIApp, slots: int, queue_seconds: float) -> None:
        """Wrap ``app``; ``slots`` is the database pool's capacity (pool size plus overflow)."""
        self.app = app
        self.slots = slots
        self.queue_seconds = queue_seconds
        self._free: anyio.Semaphore | None = None  # made in the server's event loop, at the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for a slot (or answer 503 once ``queue_seconds`` have passed), then run the request."""
        if scope["type"] != "http" or scope["path"] in _NEVER_QUEUED:
            await self.app(scope, receive, send)
            return
        if self._free is None:
            self._free = anyio.Semaphore(self.slots)
        admitted = False
        with anyio.move_on_after(self.queue_seconds):
            await self._free.acquire()
            admitted = True  # no await between: the deadline cannot cancel a slot already taken
        if not admitted:
            busy = problem_response(
                Request(scope),
                503,
                "Service busy",
                "The service is busy right now; nothing was changed. Retry in a few seconds.",
                type_slug="busy",
                headers={"Retry-After": "5"},
            )
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._free.release()
