"""Operations: ``/metrics`` exposes the promised series, and logs are JSON lines without secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select

from domain.roles import Role
from storage.tables import audit_head
from tests.api.test_documents import create_msa, make_client, sample
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from undersign.runtime import Runtime
from undersign.structured_logging import configure_logging


def scrape(api: Api, **kw: Any) -> dict[str, list[tuple[dict[str, str], float]]]:
    """GET /metrics and return each sample name's (labels, value) pairs."""
    response = api.client.get("/metrics", **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample_ in family.samples:
            out.setdefault(sample_.name, []).append((dict(sample_.labels), sample_.value))
    return out


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    """Return the sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for got, v in samples.get(name, []) if all(got.get(k) == w for k, w in labels.items()))


class TestMetrics:
    def test_requests_renders_and_database_figures_are_exposed(
        self, api: Api, runtime: Runtime, clock: FixedClock
    ) -> None:
        """After a document is made and a checkpoint signed, each promised series is there with the right figure."""
        before = scrape(api)
        client_id = make_client(api)
        assert create_msa(api, client_id, sample("msa/msa", "us-tx-monthly")).status_code == 201
        assert api.post("/v1/audit/checkpoints").status_code == 201
        clock.advance(minutes=90)
        after = scrape(api)
        route = {"method": "POST", "route": "/v1/documents", "status": "201"}
        assert value(after, "undersign_http_request_duration_seconds_count", **route) == (
            value(before, "undersign_http_request_duration_seconds_count", **route) + 1
        )
        ok = {"template": "msa/msa", "outcome": "ok"}
        assert value(after, "undersign_renders_total", **ok) == value(before, "undersign_renders_total", **ok) + 1
        assert value(after, "undersign_render_duration_seconds_count", template="msa/msa") >= 1
        assert value(after, "undersign_render_pool_workers") == runtime.settings.render.workers
        assert "undersign_render_pool_queue_depth" in after and "undersign_render_pool_in_flight" in after
        with runtime.engine.connect() as conn:
            head = conn.execute(select(audit_head.c.seq)).scalar_one()
        assert value(after, "undersign_audit_chain_length") == head
        assert value(after, "undersign_audit_last_checkpoint_age_seconds") == 90 * 60
        for name in (
            "undersign_seals_total",
            "undersign_envelopes_awaiting_seal",
            "undersign_seal_attempts_pending",
            "undersign_webhook_endpoints_disabled",
        ):
            assert name in after, name
        assert {labels["status"] for labels, _ in after["undersign_webhook_deliveries"]} == {
            "pending",
            "delivered",
            "failed",
        }

    def test_route_label_is_the_template_not_the_raw_path(self, api: Api) -> None:
        """A request for one client is labelled /v1/clients/{client_id}, so ids never become label values."""
        client_id = make_client(api)
        api.get(f"/v1/clients/{client_id}")
        samples = scrape(api)
        routes = {labels.get("route") for labels, _ in samples["undersign_http_request_duration_seconds_count"]}
        assert "/v1/clients/{client_id}" in routes and not any(client_id in (r or "") for r in routes)

    def test_metrics_token_when_configured(self, api: Api, runtime: Runtime) -> None:
        """With a metrics token set, /metrics refuses a scrape without it (401) and answers with it."""
        metrics = runtime.settings.metrics.model_copy(update={"bearer_token": SecretStr("scrape-me-0123456789")})
        runtime.settings = runtime.settings.model_copy(update={"metrics": metrics})
        refused = api.client.get("/metrics")
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
        assert api.client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}).status_code == 200


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Route every log record to a string as JSON lines for the test, then restore the handlers."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


class TestJsonLogs:
    def test_each_request_is_one_json_line_with_request_id_actor_route_and_timing(
        self, api: Api, log_stream: io.StringIO
    ) -> None:
        """The access line of a request parses as JSON and names its request id, key, route, status and time."""
        client_id = make_client(api)
        response = api.get(f"/v1/clients/{client_id}", role=Role.AUDITOR)
        lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
        [line] = [
            r for r in lines if r.get("request_id") == response.headers["x-request-id"] and r["event"] == "request"
        ]
        assert line["route"] == "/v1/clients/{client_id}" and line["method"] == "GET" and line["status"] == 200
        assert line["actor"] == "key:test-auditor(auditor)"
        assert isinstance(line["duration_ms"], float) and line["level"] == "info" and line["timestamp"]

    def test_tokens_keys_and_secrets_never_reach_the_log(self, api: Api, log_stream: io.StringIO) -> None:
        """A signing-link token, a bearer key and a webhook secret are not written, even inside a message."""
        token = "tok_" + "x" * 40
        api.client.get(f"/sign/{token}")
        key = api.keys[Role.ADMIN]
        logging.getLogger("undersign.test").warning(
            "caller sent Authorization: Bearer %s for /sign/%s with whsec_c2VjcmV0c2VjcmV0", key, token
        )
        output = log_stream.getvalue()
        assert token not in output and key not in output and "whsec_c2Vj" not in output
        lines = [json.loads(line) for line in output.splitlines()]
        sign_lines = [r for r in lines if r.get("route") == "/sign/{token}"]
        assert sign_lines and sign_lines[0]["status"] in (200, 404, 410)
        assert any("[redacted]" in r["event"] for r in lines if r.get("logger") == "undersign.test")
