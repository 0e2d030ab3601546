"""Every error is RFC 9457 problem+json; unexpected ones are a 500 with a request id and no trace."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import Api
from undersign.runtime import Runtime


class TestUnexpectedErrors:
    def test_unexpected_error_is_500_with_request_id_and_no_trace(
        self, runtime: Runtime, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A bug in a route answers 500 problem+json carrying the request id; the trace is logged, not sent."""
        app = create_app(runtime)

        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("secret internal detail")

        with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
            response = client.get("/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["request_id"] == response.headers["x-request-id"]
        assert body["request_id"] in body["detail"]
        assert "secret internal detail" not in response.text
        assert "Traceback" not in response.text
        assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


class TestFrameworkErrors:
    def test_unknown_route_is_404_problem(self, api: Api) -> None:
        """A path that does not exist is a 404 problem, not Starlette's plain JSON."""
        response = api.get("/v1/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_wrong_method_is_405_problem(self, api: Api) -> None:
        """A method the route does not have is a 405 problem."""
        response = api.client.delete("/v1/clients", headers=api.headers(None))
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"

    def test_bad_query_parameter_is_422_naming_it(self, api: Api) -> None:
        """A query parameter out of range is a 422 naming the parameter."""
        response = api.get("/v1/clients?limit=100000")
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "query:limit"
