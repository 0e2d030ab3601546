"""Optional OpenTelemetry traces reach an OTLP/HTTP receiver on loopback, named by route, tokens scrubbed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from api.app import create_app
from tests.api.test_clients import client_body
from tests.conftest import Api
from undersign.runtime import Runtime


class OtlpReceiver:
    """Decodes every OTLP/HTTP protobuf trace export it is sent."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = ExportTraceServiceRequest()
                request.ParseFromString(self.rfile.read(int(self.headers["content-length"])))
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        receiver.spans.extend(scope.spans)
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        """The OTLP base URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP receiver on loopback."""
    receiver = OtlpReceiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


class TestTracing:
    def test_spans_named_by_route_reach_the_exporter_without_tokens(
        self, api: Api, runtime: Runtime, otlp: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With OTEL_EXPORTER_OTLP_ENDPOINT set, requests become spans at the receiver; signing tokens stay out."""
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint)
        app = create_app(runtime)
        token = "tok_" + "q" * 40
        with TestClient(app, raise_server_exceptions=False) as client:
            headers = api.headers(next(iter(api.keys)))
            created = client.post("/v1/clients", json=client_body(), headers=headers)
            assert created.status_code == 201
            client.get(f"/sign/{token}?t={token}")
        app.state.tracer_provider.force_flush()
        names = {span.name for span in otlp.spans}
        assert {"POST /v1/clients", "GET /sign/{token}"} <= names
        values = [str(a.value) for span in otlp.spans for a in span.attributes]
        assert values and not any(token in v for v in values)

    def test_no_exporter_no_tracing(self, api: Api) -> None:
        """Without an OTLP endpoint the app is not instrumented."""
        assert getattr(api.client.app.state, "tracer_provider", None) is None  # type: ignore[attr-defined]
