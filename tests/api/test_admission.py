"""Admission: no more requests at work than slots; the rest queue, and past the wait answer 503 with Retry-After."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.admission import AdmissionMiddleware
from api.app import create_app
from undersign.runtime import Runtime


class HeldApp:
    """A one-slot app whose ``/hold`` stays in the app until ``gate`` is set; ``order`` records who ran."""

    def __init__(self, queue_seconds: float) -> None:
        """Build the app around a closed gate."""
        self.gate, self.entered = threading.Event(), threading.Event()
        self.order: list[str] = []
        app = FastAPI()

        @app.get("/hold")
        def hold() -> dict[str, bool]:
            self.entered.set()
            self.gate.wait(60)
            self.order.append("hold")
            return {"ok": True}

        @app.get("/quick")
        def quick() -> dict[str, bool]:
            self.order.append("quick")
            return {"ok": True}

        @app.get("/healthz")
        def healthz() -> dict[str, bool]:
            return {"ok": True}

        app.add_middleware(AdmissionMiddleware, slots=1, queue_seconds=queue_seconds)
        self.app = app


class TestAdmission:
    def test_a_request_past_the_wait_answers_503_problem_with_retry_after(self) -> None:
        """With the only slot taken, another request answers 503 busy problem+json with Retry-After, unrun."""
        held = HeldApp(queue_seconds=0.05)
        with TestClient(held.app) as client, ThreadPoolExecutor(1) as pool:
            first = pool.submit(client.get, "/hold")
            assert held.entered.wait(30)
            busy = client.get("/quick")
            held.gate.set()
            assert first.result(60).status_code == 200
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "5"
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.json()["type"].endswith("/busy")
        assert held.order == ["hold"]  # the refused request never reached its route

    def test_a_queued_request_runs_once_the_slot_is_free(self) -> None:
        """A request that finds the slot taken waits for it and then runs (after the one holding it)."""
        held = HeldApp(queue_seconds=60)
        with TestClient(held.app) as client, ThreadPoolExecutor(2) as pool:
            first = pool.submit(client.get, "/hold")
            assert held.entered.wait(30)
            second = pool.submit(client.get, "/quick")
            held.gate.set()
            assert first.result(60).status_code == 200
            assert second.result(60).status_code == 200
        assert held.order == ["hold", "quick"]

    def test_health_probes_are_never_queued(self) -> None:
        """``/healthz`` answers at once while every slot is taken (a busy process is alive)."""
        held = HeldApp(queue_seconds=0.05)
        with TestClient(held.app) as client, ThreadPoolExecutor(1) as pool:
            first = pool.submit(client.get, "/hold")
            assert held.entered.wait(30)
            probe = client.get("/healthz")
            held.gate.set()
            assert first.result(60).status_code == 200
        assert probe.status_code == 200

    def test_the_app_has_one_slot_per_pooled_connection(self, runtime: Runtime) -> None:
        """The API admits as many requests at once as its database pool has connections (size plus overflow)."""
        app = create_app(runtime)
        pool = runtime.settings.database
        admission = [m for m in app.user_middleware if m.cls is AdmissionMiddleware]
        assert len(admission) == 1
        assert admission[0].kwargs == {
            "slots": pool.pool_size + pool.max_overflow,
            "queue_seconds": runtime.settings.server.queue_seconds,
        }
