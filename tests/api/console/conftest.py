"""Fixtures of the console tests: the app over the real runtime, and browsers (cookie jars) to open it with."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from undersign.runtime import Runtime

Browser = Callable[[], TestClient]


@pytest.fixture
def console_app(runtime: Runtime) -> FastAPI:
    """The whole app (API and console) over the test runtime."""
    return create_app(runtime)


@pytest.fixture
def browser(console_app: FastAPI) -> Iterator[Browser]:
    """Open a new browser on the app: each has its own cookies, as two people's browsers do."""
    opened: list[TestClient] = []

    def open_browser() -> TestClient:
        client = TestClient(console_app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield open_browser
    for client in opened:
        client.__exit__(None, None, None)
