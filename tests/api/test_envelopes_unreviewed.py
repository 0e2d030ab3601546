"""Unreviewed drafts: a deployment that refuses them sends one only when asked, and records that it was asked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from domain.roles import Role
from storage.tables import audit_events
from tests.api.test_documents import create_msa, make_client, sample
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import Settings

SIGNER = {"name": "Dana Wu", "email": "dana@northwind.example", "title": "Owner", "role": "client", "order": 1}


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback that keeps every message."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:
    """Settings that refuse unreviewed drafts (as production does), mailing through the loopback server."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    signing = settings.signing.model_copy(update={"refuse_unreviewed": True})
    return settings.model_copy(update={"mail": mail, "signing": signing})


def msa_version(api: Api, *, reviewed: bool) -> str:
    """Create an MSA (reviewed by counsel or not) and return its document id."""
    variables: dict[str, Any] = {**sample("msa/msa", "us-tx-monthly"), "counsel_reviewed": reviewed}
    created = create_msa(api, make_client(api), variables)
    assert created.status_code == 201, created.text
    document_id: str = created.json()["id"]
    return document_id


def created_details(runtime: Runtime) -> list[dict[str, Any]]:
    """Return the payload of every envelope.created audit event."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(audit_events.c.payload).where(audit_events.c.action == "envelope.created"))
        return [row[0] for row in rows]


class TestUnreviewedDrafts:
    def test_unreviewed_draft_is_refused_and_nothing_is_sent(
        self, api: Api, smtp: LoopbackSmtpServer, runtime: Runtime
    ) -> None:
        """Sending an unreviewed MSA answers a 422 problem naming allow_unreviewed; no envelope, no mail."""
        document_id = msa_version(api, reviewed=False)
        response = api.post(
            "/v1/envelopes", role=Role.SALES, json={"document_id": document_id, "version": 1, "signers": [SIGNER]}
        )
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert "counsel" in problem["detail"] and "allow_unreviewed" in problem["detail"]
        assert [e["pointer"] for e in problem["errors"]] == ["/allow_unreviewed"]
        assert api.get("/v1/envelopes").json() == [] and smtp.received == []
        assert created_details(runtime) == []

    def test_allow_unreviewed_sends_and_is_recorded(self, api: Api, smtp: LoopbackSmtpServer, runtime: Runtime) -> None:
        """With allow_unreviewed the draft goes out, and the audit event says it was unreviewed and allowed."""
        document_id = msa_version(api, reviewed=False)
        body = {"document_id": document_id, "version": 1, "signers": [SIGNER], "allow_unreviewed": True}
        response = api.post("/v1/envelopes", role=Role.SALES, json=body)
        assert response.status_code == 201, response.text
        [detail] = created_details(runtime)
        assert detail["counsel_reviewed"] is False and detail["allow_unreviewed"] is True

    def test_reviewed_document_needs_no_flag(self, api: Api, smtp: LoopbackSmtpServer, runtime: Runtime) -> None:
        """A version made with counsel_reviewed: true is sent without the flag and recorded as reviewed."""
        document_id = msa_version(api, reviewed=True)
        body = {"document_id": document_id, "version": 1, "signers": [SIGNER]}
        response = api.post("/v1/envelopes", role=Role.SALES, json=body)
        assert response.status_code == 201, response.text
        [detail] = created_details(runtime)
        assert detail["counsel_reviewed"] is True and detail["allow_unreviewed"] is False
