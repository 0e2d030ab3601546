"""Admission: no more requests at work than slots; the rest queue, and past the wait answer 503 with Retry-After."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.admission import AdmissionMiddleware
from api.app import create_app
from undersign.runtime import Runtime


class HeldApp:
    """An app (one slot unless told) whose ``/hold`` waits for ``gate``; ``order`` records who ran."""

    def __init__(self, queue_seconds: float, slots: int = 1) -> None:
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

        @app.post("/act")
        def act() -> dict[str, bool]:
            self.order.append("act")
            return {"ok": True}

        @app.get("/healthz")
        def healthz() -> dict[str, bool]:
            return {"ok": True}

        self.admission = AdmissionMiddleware(app, slots=slots, queue_seconds=queue_seconds)
        self.app = self.admission


def wait_until_queued(held: HeldApp, count: int) -> None:
    """Wait until ``count`` requests wait for the app's slot (the middleware's own count of waiters)."""
    deadline = time.monotonic() + 30
    while held.admission.waiting() < count:
        assert time.monotonic() < deadline, "the request never queued"
        time.sleep(0.01)


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

    def test_a_waiting_action_takes_the_free_slot_before_reads_that_came_first(self) -> None:
        """With the slot taken, a GET queues, then a POST queues: the POST runs next, then the GET."""
        held = HeldApp(queue_seconds=60)
        with TestClient(held.app) as client, ThreadPoolExecutor(3) as pool:
            first = pool.submit(client.get, "/hold")
            assert held.entered.wait(30)
            read = pool.submit(client.get, "/quick")
            wait_until_queued(held, 1)
            action = pool.submit(client.post, "/act")
            wait_until_queued(held, 2)
            held.gate.set()
            assert [f.result(60).status_code for f in (first, action, read)] == [200, 200, 200]
        assert held.order == ["hold", "act", "quick"]

    def test_a_read_that_gives_up_waiting_leaves_its_place_to_the_next(self) -> None:
        """A read past its wait answers 503 and leaves the queue; the slot then goes to the next request, once."""
        held = HeldApp(queue_seconds=0.2)
        with TestClient(held.app) as client, ThreadPoolExecutor(2) as pool:
            first = pool.submit(client.get, "/hold")
            assert held.entered.wait(30)
            assert client.get("/quick").status_code == 503
            held.gate.set()
            assert first.result(60).status_code == 200
            assert client.post("/act").status_code == 200
            assert client.get("/quick").status_code == 200
        assert held.order == ["hold", "act", "quick"]

    def test_reads_leave_the_last_slot_to_actions(self) -> None:
        """With two slots and one read at work, a second read waits while an action runs at once in the other slot."""
        held = HeldApp(queue_seconds=60, slots=2)
        with TestClient(held.app) as client, ThreadPoolExecutor(3) as pool:
            first = pool.submit(client.get, "/hold")
            assert held.entered.wait(30)
            read = pool.submit(client.get, "/quick")
            wait_until_queued(held, 1)
            assert client.post("/act").status_code == 200  # ran while /hold still holds its slot
            assert held.order == ["act"] and held.admission.waiting() == 1
            held.gate.set()
            assert [f.result(60).status_code for f in (first, read)] == [200, 200]
        assert held.order == ["act", "hold", "quick"]

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

    def test_fewer_requests_at_work_can_be_asked_but_never_more_than_connections(self, runtime: Runtime) -> None:
        """``server.concurrent_requests`` lowers the slots; a figure above the pool's connections is capped at it."""
        pool = runtime.settings.database
        for asked, slots in ((3, 3), (1000, pool.pool_size + pool.max_overflow)):
            server = runtime.settings.server.model_copy(update={"concurrent_requests": asked})
            runtime.settings = runtime.settings.model_copy(update={"server": server})
            app = create_app(runtime)
            admission = next(m for m in app.user_middleware if m.cls is AdmissionMiddleware)
            assert admission.kwargs["slots"] == slots
