"""The ``Idempotency-Key`` middleware: a POST retried with the same key acts once.

Every ``POST /v1/...`` that carries the header goes through here (the key is optional; without it
nothing changes). The first request reserves the key in the database and runs; its answer is
stored and replayed to every later request with the same key and the same body, marked
``Idempotent-Replayed: true``. The same key with another body is a 409. A request that arrives
while the first is still running waits for the first answer (up to ``wait_seconds``), so two
concurrent retries still create one document.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TYPE_BASE
from domain.idempotency import (
    REPLAYED_HEADERS,
    KeyRecord,
    KeyState,
    StoredResponse,
    fingerprint,
    key_problem,
    owner_of,
    should_keep,
)
from storage.idempotency_store import SqlIdempotencyStore

log = logging.getLogger("api")
HEADER = b"idempotency-key"


class IdempotencyMiddleware:
    """Reserve, replay or refuse POSTs by their ``Idempotency-Key``."""

    def __init__(self, app: ASGIApp, wait_seconds: float = 30.0) -> None:
        self.app = app
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through anything that is not a keyed POST under ``/v1/``."""
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        problem = key_problem(key)
        if problem:
            await _problem(scope, send, 400, "Invalid Idempotency-Key", problem, "invalid-idempotency-key")
            return
        body = await _read_body(receive)
        if body is None:
            return
        runtime = scope["app"].state.runtime
        store = SqlIdempotencyStore(runtime.sessions)
        owner = owner_of(headers.get(b"authorization", b"").decode("latin-1"))
        method, path = scope["method"], scope["path"]
        print_ = fingerprint(method, path, scope.get("query_string", b"").decode("latin-1"), body)
        stored = await run_in_threadpool(store.reserve, owner, key, print_, method, path, runtime.clock.now())
        if stored is not None:
            await self._answer_again(scope, send, store, owner, key, print_, stored)
            return
        await self._first(scope, receive, send, store, owner, key, body, runtime)

    async def _first(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        store: SqlIdempotencyStore,
        owner: str,
        key: str,
        body: bytes,
        runtime: Any,
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # the body was read in full: what follows is the client leaving

        try:
            await self.app(scope, replay, capture)
        except BaseException:
            await run_in_threadpool(store.release, owner, key)
            raise
        status = int(start.get("status", 500))
        if not should_keep(status):
            await run_in_threadpool(store.release, owner, key)
            return
        kept = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in start.get("headers", [])
            if name.decode("latin-1").lower() in REPLAYED_HEADERS
        }
        response = StoredResponse(status=status, headers=kept, body=b"".join(chunks))
        await run_in_threadpool(store.complete, owner, key, response, runtime.clock.now())

    async def _answer_again(
        self,
        scope: Scope,
        send: Send,
        store: SqlIdempotencyStore,
        owner: str,
        key: str,
        print_: str,
        stored: KeyRecord,
    ) -> None:
        if stored.fingerprint != print_:
            await _problem(
                scope,
                send,
                409,
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request (method, path or body). "
                "Nothing was done; send a new key for a new request.",
                "idempotency-key-reused",
            )
            return
        record: KeyRecord | None = stored
        deadline = time.monotonic() + self.wait_seconds
        # The first request is still running: wait for its answer rather than act a second time.
        while record is not None and record.state is KeyState.PENDING and time.monotonic() < deadline:
            await anyio.sleep(0.05)
            record = await run_in_threadpool(store.get, owner, key)
        if record is None:
            await _problem(
                scope,
                send,
                409,
                "Request with this key failed",
                "The first request with this Idempotency-Key failed and was not kept; send the request again.",
                "idempotency-key-released",
            )
            return
        if record.response is None:
            await _problem(
                scope,
                send,
                409,
                "Request with this key still running",
                "A request with this Idempotency-Key is still being processed. "
                "Retry in a few seconds with the same key.",
                "idempotency-key-in-progress",
            )
            return
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in record.response.headers.items()]
        scope.setdefault("state", {})["idempotent_replay"] = True
        headers += [
            (b"idempotent-replayed", b"true"),
            (b"content-length", str(len(record.response.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": record.response.status, "headers": headers})
        await send({"type": "http.response.body", "body": record.response.body})


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _problem(scope: Scope, send: Send, status: int, title: str, detail: str, slug: str) -> None:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope.get("path", ""),
        "request_id": scope.get("state", {}).get("request_id"),
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
