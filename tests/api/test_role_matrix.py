"""Every route of the app under every role, without a key, and with a signer's token: allowed or denied as intended.

The intended policy is written down here, per route, as the permission from ``domain/roles.py``
it needs (or: public, or signer-link only). The test walks ``app.routes``, so a route added
later without an entry here fails the test until someone states who may use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.routing import Route

from domain.roles import Permission, Role, may
from storage.database import unit_of_work
from storage.tables import audit_head
from tests.api.envelope_support import form_token, link_for, send_msa
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import REPO_ROOT, Settings


@dataclass(frozen=True)
class Rule:
    """Who may use a route: ``permission`` (API key roles), or ``public``, or ``signer`` (link token only).

    ``body`` is a request body that passes validation, for routes that check the role only after
    the body was read; with it a denied role must get exactly 403.
    """

    permission: Permission | None = None
    public: bool = False
    signer: bool = False
    body: dict[str, Any] | None = field(default=None, hash=False)


READ = Rule(Permission.READ)
PUBLIC = Rule(public=True)
SIGNER = Rule(signer=True)
CLIENT_BODY = {
    "legal_name": "Matrix Ltd.",
    "short_name": "Matrix",
    "address": "1 Road",
    "jurisdiction": "CA-BC",
    "billing_email": "ap@matrix.example",
    "primary_contact": {"name": "A B", "title": "CEO", "email": "ab@matrix.example"},
}
WAIVER_DOC = {"template": "waivers/decline-of-service", "client_id": "1", "variables": {}}

EXPECTED: dict[tuple[str, str], Rule] = {
    # framework and health
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # clients
    ("POST", "/v1/clients"): Rule(Permission.CLIENTS_WRITE, body=CLIENT_BODY),
    ("GET", "/v1/clients"): READ,
    ("GET", "/v1/clients/{client_id}"): READ,
    ("PATCH", "/v1/clients/{client_id}"): Rule(Permission.CLIENTS_WRITE, body={"notes": "x"}),
    # templates and documents (the write permission follows the template's kind)
    ("GET", "/v1/templates"): READ,
    ("GET", "/v1/templates/{template_id:path}"): READ,
    ("POST", "/v1/templates/{template_id:path}/preview"): READ,
    ("POST", "/v1/documents"): Rule(Permission.WAIVERS_WRITE, body=WAIVER_DOC),
    ("GET", "/v1/documents"): READ,
    ("GET", "/v1/documents/{document_id}"): READ,
    # {document_id} is a real waiver letter (see the test), so the check by document kind is reached.
    ("POST", "/v1/documents/{document_id}/versions"): Rule(Permission.WAIVERS_WRITE, body={"variables": {}}),
    ("GET", "/v1/documents/{document_id}/versions/{number}"): READ,
    ("GET", "/v1/documents/{document_id}/versions/{number}/file.{extension}"): READ,
    ("GET", "/v1/documents/{document_id}/versions/{number}/diff"): READ,
    # audit
    ("POST", "/v1/audit/checkpoints"): Rule(Permission.AUDIT_CHECKPOINT),
    ("GET", "/v1/audit/checkpoints"): READ,
    ("GET", "/v1/audit/verify"): READ,
    ("GET", "/v1/audit/events"): READ,
    # risks and evidence
    ("GET", "/v1/risks"): READ,
    ("GET", "/v1/risks/{risk_id}"): READ,
    ("POST", "/v1/risks/{risk_id}/revoke"): Rule(Permission.RISKS_WRITE, body={"reason": "x"}),
    ("POST", "/v1/risks/{risk_id}/remediate"): Rule(Permission.RISKS_WRITE, body={"reason": "x"}),
    ("POST", "/v1/risks/{risk_id}/renew"): Rule(Permission.RISKS_WRITE, body={"review_on": "2027-01-01"}),
    ("POST", "/v1/risks/{risk_id}/approver"): Rule(
        Permission.RISKS_WRITE, body={"name": "Ann Lee", "title": "CFO", "reason": "x"}
    ),
    ("GET", "/v1/clients/{client_id}/risk-report.pdf"): READ,
    ("GET", "/v1/evidence/{envelope_id}.zip"): READ,
    ("GET", "/v1/evidence"): READ,
    ("GET", "/v1/evidence/risks/{risk_id}.zip"): READ,
    ("GET", "/v1/legal-holds"): READ,
    ("POST", "/v1/legal-holds"): Rule(
        Permission.LEGAL_HOLD, body={"subject_type": "client", "subject_id": "nope", "reason": "x"}
    ),
    ("POST", "/v1/legal-holds/{hold_id}/release"): Rule(Permission.LEGAL_HOLD, body={"reason": "x"}),
    ("POST", "/v1/retention/clients/{client_id}"): Rule(
        Permission.LEGAL_HOLD, body={"relationship_ends_on": "2030-01-01", "reason": "ended"}
    ),
    # envelopes and signing (signing pages answer to the link token, never to an API key)
    ("POST", "/v1/envelopes"): Rule(Permission.ENVELOPES_WRITE),
    ("GET", "/v1/envelopes"): READ,
    ("GET", "/v1/envelopes/{envelope_id}"): READ,
    ("GET", "/v1/envelopes/{envelope_id}/sealed.pdf"): READ,
    ("POST", "/v1/envelopes/{envelope_id}/void"): Rule(Permission.ENVELOPES_WRITE),
    ("POST", "/v1/envelopes/{envelope_id}/remind"): Rule(Permission.ENVELOPES_WRITE),
    ("POST", "/v1/envelopes/{envelope_id}/signers/{signer_id}/signing-url"): Rule(Permission.ENVELOPES_WRITE),
    ("POST", "/v1/verify"): READ,
    ("GET", "/sign/{token}"): SIGNER,
    ("POST", "/sign/{token}/consent"): SIGNER,
    ("POST", "/sign/{token}/code/send"): SIGNER,
    ("POST", "/sign/{token}/code"): SIGNER,
    ("GET", "/sign/{token}/pages/{index}.png"): SIGNER,
    ("GET", "/sign/{token}/read"): SIGNER,
    ("GET", "/sign/{token}/document.pdf"): SIGNER,
    ("POST", "/sign/{token}/sign"): SIGNER,
    ("POST", "/sign/{token}/decline"): SIGNER,
    ("GET", "/signing-assets/script-font"): PUBLIC,
    # billing
    ("POST", "/v1/invoices"): Rule(Permission.INVOICES_WRITE),
    ("GET", "/v1/invoices"): READ,
    ("GET", "/v1/invoices/{invoice_id}"): READ,
    ("PATCH", "/v1/invoices/{invoice_id}"): Rule(Permission.INVOICES_WRITE),
    ("POST", "/v1/dunning/run"): Rule(Permission.DUNNING_RUN, body={"dry_run": True}),
    ("GET", "/v1/dunning/approvals"): READ,
    ("POST", "/v1/dunning/approvals/{step_id}/approve"): Rule(Permission.DUNNING_APPROVE),
    ("POST", "/v1/dunning/approvals/{step_id}/reject"): Rule(Permission.DUNNING_APPROVE),
    ("GET", "/v1/dunning/overview"): READ,
    ("GET", "/v1/dunning/tasks"): READ,
    ("POST", "/v1/dunning/tasks/{step_id}/done"): Rule(Permission.DUNNING_APPROVE),
    ("POST", "/v1/dunning/tasks/{step_id}/reopen"): Rule(Permission.DUNNING_APPROVE),
    ("GET", "/v1/clients/{client_id}/dunning-policy"): READ,
    ("PUT", "/v1/clients/{client_id}/dunning-policy"): Rule(Permission.DUNNING_APPROVE),
    # integrations: external ids, webhooks (admins only: they decide where events go), metrics
    ("GET", "/v1/clients/{client_id}/external-ids"): READ,
    ("PUT", "/v1/clients/{client_id}/external-ids"): Rule(Permission.CLIENTS_WRITE, body={"psa": "CW-1"}),
    ("GET", "/v1/webhooks/event-types"): READ,
    ("POST", "/v1/webhooks/endpoints"): Rule(
        Permission.KEYS_MANAGE, body={"url": "http://127.0.0.1:9/h", "event_types": ["document.created"]}
    ),
    ("GET", "/v1/webhooks/endpoints"): Rule(Permission.KEYS_MANAGE),
    ("GET", "/v1/webhooks/endpoints/{endpoint_id}"): Rule(Permission.KEYS_MANAGE),
    ("PATCH", "/v1/webhooks/endpoints/{endpoint_id}"): Rule(Permission.KEYS_MANAGE, body={"description": "x"}),
    ("POST", "/v1/webhooks/endpoints/{endpoint_id}/rotate-secret"): Rule(Permission.KEYS_MANAGE),
    ("GET", "/v1/webhooks/endpoints/{endpoint_id}/deliveries"): Rule(Permission.KEYS_MANAGE),
    ("GET", "/v1/webhooks/endpoints/{endpoint_id}/attempts"): Rule(Permission.KEYS_MANAGE),
    ("POST", "/v1/webhooks/endpoints/{endpoint_id}/replay-failed"): Rule(Permission.KEYS_MANAGE),
    ("POST", "/v1/webhooks/deliveries/{delivery_id}/replay"): Rule(Permission.KEYS_MANAGE),
    ("GET", "/metrics"): PUBLIC,
}

_DOCUMENT_WRITES = (Permission.CONTRACTS_WRITE, Permission.WAIVERS_WRITE, Permission.NOTICES_WRITE)
_PARAM = re.compile(r"\{([a-z_]+)(?::path)?\}")
_VALUES = {"template_id": "waivers/decline-of-service"}


def concrete(path: str, values: dict[str, str]) -> str:
    """Fill a route's path parameters with the given values, else harmless ones that pass their converters."""
    return _PARAM.sub(lambda m: values.get(m.group(1), "1"), path)


def _walk(routes: Iterable[object], prefix: str) -> Iterator[tuple[str, str, bool]]:
    """Yield (method, path, takes a body) for routes, descending into included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            # FastAPI >= 0.16x keeps included routers as a node with the include prefix.
            context = getattr(route, "include_context", None)
            yield from _walk(included.routes, prefix + str(getattr(context, "prefix", "")))
            continue
        if not isinstance(route, Route):
            continue
        takes_body = isinstance(route, APIRoute) and route.body_field is not None
        for method in sorted(route.methods or ()):
            if method not in {"HEAD", "OPTIONS"}:
                yield method, prefix + route.path, takes_body


def app_routes(api: Api) -> list[tuple[str, str, bool]]:
    """Return (method, path, takes a body) for every route the app serves."""
    app = api.client.app
    # The staff console (/console) signs people in with sessions, not keys: tests/api/console walks its routes.
    found = sorted(r for r in set(_walk(app.routes, "")) if not r[1].startswith("/console"))  # type: ignore[attr-defined]
    # The walk must see at least every operation the OpenAPI schema lists, or it is missing routes.
    schema = app.openapi()  # type: ignore[attr-defined]
    listed = {(m.upper(), path) for path, ops in schema["paths"].items() for m in ops}
    walked = {(m, re.sub(r":path\}", "}", p)) for m, p, _ in found}
    assert listed <= walked, f"route walk missed {sorted(listed - walked)}"
    return found


def call(
    api: Api, method: str, path: str, headers: dict[str, str], rule: Rule, takes_body: bool, values: dict[str, str]
) -> int:
    """Send one request and return its status."""
    kwargs: dict[str, Any] = {"headers": headers}
    if takes_body or rule.body is not None:
        kwargs["json"] = rule.body if rule.body is not None else {}
    if rule.signer and method == "POST":
        # A signing form is posted from its page, with the page's anti-forgery token.
        kwargs["data"] = {"csrf": form_token(api, concrete("/sign/{token}", values))}
    return api.client.request(method, concrete(path, values), **kwargs).status_code


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback, where the signing links go."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:
    """The test settings with mail going to the loopback SMTP server."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    return settings.model_copy(update={"mail": mail})


def head_seq(runtime: Runtime) -> int:
    """Return the audit chain's head seq (it moves with every recorded change)."""
    with unit_of_work(runtime.sessions) as session:
        seq: int = session.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one()
        return seq


def waiver_document(api: Api) -> str:
    """File one decline-of-service letter and return its document id."""
    client = api.post("/v1/clients", json=CLIENT_BODY)
    assert client.status_code == 201, client.text
    variables = json.loads(
        (REPO_ROOT / "templates/waivers/decline-of-service/samples/mfa-ra-2026-0042.json").read_text()
    )
    body = {"template": "waivers/decline-of-service", "client_id": client.json()["id"], "variables": variables}
    created = api.post("/v1/documents", json=body)
    assert created.status_code == 201, created.text
    document_id: str = created.json()["id"]
    return document_id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestRoleMatrix:
    def test_every_route_has_an_expectation(self, api: Api) -> None:
        """No route is served without a stated rule (routes added later must be added here)."""
        missing = sorted({(m, p) for m, p, _ in app_routes(api)} - set(EXPECTED))
        assert missing == [], f"routes without a role-matrix entry: {missing}"

    def test_every_route_under_every_role(self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer) -> None:
        """Allowed roles get past authorisation; denied roles get 403; no key and a signer's token get 401.

        Signing pages are reached with a real signer's link token and no key. A refused request
        must change nothing: the audit chain's head (every change appends to it) stays where it was.
        """
        send_msa(api)
        signer_token = link_for(smtp, "dana@northwind.example").removeprefix("/sign/")
        values = {**_VALUES, "document_id": waiver_document(api), "token": signer_token}
        failures: list[str] = []
        for method, path, takes_body in app_routes(api):
            rule = EXPECTED.get((method, path))
            if rule is None:
                continue  # reported by the test above
            if rule.public or rule.signer:
                status = call(api, method, path, {}, rule, takes_body, values)
                if status in (401, 403) or status >= 500:
                    failures.append(f"{method} {path} without a key: {status}")
                continue
            for label, headers in (
                ("no key", {}),
                ("signer token", {"Authorization": f"Bearer {signer_token}"}),
            ):
                before = head_seq(runtime)
                status = call(api, method, path, headers, rule, takes_body, values)
                if status != 401 or head_seq(runtime) != before:
                    failures.append(f"{method} {path} with {label}: {status}, expected 401 and no change")
            assert rule.permission is not None
            for role in Role:
                if may(role, rule.permission):
                    status = call(api, method, path, api.headers(role), rule, takes_body, values)
                    if status in (401, 403) or status >= 500:
                        failures.append(f"{method} {path} as {role}: {status}, expected allowed")
                    continue
                before = head_seq(runtime)
                status = call(api, method, path, api.headers(role), rule, takes_body, values)
                # A role that may write some kinds of document gets past the first check and may then
                # answer 422 to an invalid body (nothing changed); a role that may write none gets 403.
                partly = any(may(role, p) for p in _DOCUMENT_WRITES) and path.startswith("/v1/documents")
                refused = {403} if rule.body is not None or not takes_body or not partly else {403, 422}
                if status not in refused or head_seq(runtime) != before:
                    failures.append(f"{method} {path} as {role}: {status}, expected {sorted(refused)}")
        assert not failures, "\n".join(failures)

    def test_an_auditor_gets_403_on_every_write_whatever_it_sends(self, api: Api, runtime: Runtime) -> None:
        """Auditors change nothing: every write route answers 403 before looking at the body (none, empty, junk)."""
        failures: list[str] = []
        for method, path, _takes_body in app_routes(api):
            rule = EXPECTED.get((method, path))
            if rule is None or rule.public or rule.signer or rule.permission is Permission.READ:
                continue
            for label, extra in (("no body", {}), ("empty body", {"content": b""}), ("junk body", {"json": [1, 2]})):
                before = head_seq(runtime)
                response = api.client.request(
                    method, concrete(path, _VALUES), headers=api.headers(Role.AUDITOR), **extra
                )
                if response.status_code != 403 or head_seq(runtime) != before:
                    failures.append(f"{method} {path} with {label}: {response.status_code}")
                elif response.headers["content-type"] != "application/problem+json":
                    failures.append(f"{method} {path} with {label}: not problem+json")
        assert not failures, "\n".join(failures)
