"""The OpenAPI description tells the truth: bearer keys, and every error status the API answers, as problem+json.

The statuses are checked against behaviour, not against a list written here: every route of the app
is called the way the role-matrix test calls it (without a key, with a signer's link token, under
every role), and each error answer must be documented for that operation, with a body that validates
against the documented ``Problem`` schema. Conversely a documented 401 or 403 must really happen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from domain.roles import Role, may
from tests.api.envelope_support import link_for, send_msa
from tests.api.test_role_matrix import (  # noqa: F401  (settings, smtp: the same fixtures as the role matrix)
    _VALUES,
    EXPECTED,
    app_routes,
    concrete,
    settings,
    smtp,
    waiver_document,
)
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer

PROBLEM_JSON = "application/problem+json"
# Bodies that pass validation for routes that check the role only after reading the body (the role
# matrix accepts 403 or 422 there); with these, a role that may not use the route must get its 403.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/envelopes"): {
        "document_id": "1",
        "version": 1,
        "signers": [{"name": "Dana Wu", "email": "dana@client.example", "title": "Owner", "role": "client"}],
    },
    ("POST", "/v1/envelopes/{envelope_id}/void"): {"reason": "sent by mistake"},
    ("POST", "/v1/invoices"): {
        "number": "INV-OPENAPI-1",
        "client_id": "1",
        "amount": "10.00",
        "currency": "CAD",
        "issued_on": "2026-01-01",
        "due_on": "2026-01-31",
    },
}


def operation(schema: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """Return the OpenAPI operation of a route (path converters such as ``:path`` removed), if documented."""
    operations: dict[str, Any] = schema["paths"].get(re.sub(r":path\}", "}", path), {})
    return operations.get(method.lower())


def problem_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """Return a validator for the documented ``Problem`` schema, resolving references into the components."""
    return Draft202012Validator({"$ref": "#/components/schemas/Problem", "components": schema["components"]})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestOpenApiDocument:
    def test_bearer_scheme_is_declared_and_used(self, api: Api) -> None:
        """The document declares an HTTP bearer scheme (Swagger's Authorize button) and key routes require it."""
        schema = api.get("/openapi.json", role=None).json()
        scheme = schema["components"]["securitySchemes"]["bearerAuth"]
        assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
        secured = [op for ops in schema["paths"].values() for op in ops.values() if op.get("security")]
        assert secured and all(op["security"] == [{"bearerAuth": []}] for op in secured)
        assert "security" not in schema["paths"]["/healthz"]["get"]

    def test_fastapis_own_error_shape_is_gone(self, api: Api) -> None:
        """No operation documents FastAPI's HTTPValidationError: the API never answers with it."""
        text = api.get("/openapi.json", role=None).text
        assert "HTTPValidationError" not in text
        schema = api.get("/openapi.json", role=None).json()
        invalid = schema["paths"]["/v1/clients"]["post"]["responses"]["422"]
        assert invalid["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}

    def test_documented_auth_statuses_follow_the_role_table(self, api: Api) -> None:
        """A route needing a key documents 401; 403 exactly when some role may not use it; public routes neither."""
        schema = api.client.app.openapi()  # type: ignore[attr-defined]
        wrong: list[str] = []
        for method, path, _body in app_routes(api):
            op = operation(schema, method, path)
            rule = EXPECTED.get((method, path))
            if op is None or rule is None:
                continue
            documented = set(op["responses"])
            if rule.permission is None:
                if documented & {"401", "403"} or op.get("security"):
                    wrong.append(f"{method} {path}: public, but documents {sorted(documented & {'401', '403'})}")
                continue
            denied = any(not may(role, rule.permission) for role in Role)
            if "401" not in documented or not op.get("security"):
                wrong.append(f"{method} {path}: needs a key, but 401/security is not documented")
            if ("403" in documented) != denied:
                wrong.append(f"{method} {path}: 403 documented={'403' in documented}, some role denied={denied}")
        assert not wrong, "\n".join(wrong)

    def test_every_error_the_role_matrix_meets_is_documented_as_a_problem(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Each error status seen over the whole role matrix is documented for its route, with a body of that schema."""
        send_msa(api)
        token = link_for(smtp, "dana@northwind.example").removeprefix("/sign/")
        values = {**_VALUES, "document_id": waiver_document(api), "token": token}
        schema = api.client.app.openapi()  # type: ignore[attr-defined]
        validator = problem_validator(schema)
        seen: dict[tuple[str, str], set[int]] = defaultdict(set)
        wrong: list[str] = []
        callers: list[tuple[str, dict[str, str]]] = [
            ("no key", {}),
            ("signer token", {"Authorization": f"Bearer {token}"}),
        ] + [(role.value, api.headers(role)) for role in Role]
        for method, path, takes_body in app_routes(api):
            op = operation(schema, method, path)
            rule = EXPECTED.get((method, path))
            if op is None or rule is None:
                continue  # not in the document (signing pages, docs pages) or reported by the role matrix
            for label, headers in callers:
                kwargs: dict[str, Any] = {"headers": headers}
                body = VALID_BODIES.get((method, path), rule.body)
                if takes_body or body is not None:
                    kwargs["json"] = body if body is not None else {}
                response = api.client.request(method, concrete(path, values), **kwargs)
                seen[(method, path)].add(response.status_code)
                if response.status_code < 400:
                    continue
                if str(response.status_code) not in op["responses"]:
                    wrong.append(f"{method} {path} as {label}: {response.status_code} is not documented")
                    continue
                documented = op["responses"][str(response.status_code)]
                if PROBLEM_JSON not in documented.get("content", {}):
                    continue  # a route's own error body (e.g. /readyz's report), checked by its own tests
                if not response.headers["content-type"].startswith(PROBLEM_JSON):
                    wrong.append(f"{method} {path} as {label}: {response.status_code} is not problem+json")
                    continue
                for error in validator.iter_errors(response.json()):
                    wrong.append(f"{method} {path} as {label}: body does not match Problem: {error.message}")
        for (method, path), statuses in seen.items():
            op = operation(schema, method, path)
            assert op is not None
            for status in (401, 403):
                if str(status) in op["responses"] and status not in statuses:
                    wrong.append(f"{method} {path}: documents {status}, which no caller got")
        assert not wrong, "\n".join(wrong)
        assert any(401 in s for s in seen.values()) and any(403 in s for s in seen.values())

    def test_remind_documents_rate_limiting(self, api: Api) -> None:
        """The one route that answers 429 (a reminder asked for too soon) documents it as a problem."""
        schema = api.client.app.openapi()  # type: ignore[attr-defined]
        limited = schema["paths"]["/v1/envelopes/{envelope_id}/remind"]["post"]["responses"]["429"]
        assert limited["content"][PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}

    def test_outages_document_retry_after(self, api: Api) -> None:
        """Every 503 documents the Retry-After header the API sends with it; /readyz's 503 keeps its report body."""
        schema = api.client.app.openapi()  # type: ignore[attr-defined]
        unavailable = [
            (path, op["responses"]["503"])
            for path, ops in schema["paths"].items()
            for op in ops.values()
            if "503" in op["responses"]
        ]
        assert len(unavailable) > 10
        assert all("Retry-After" in response["headers"] for _path, response in unavailable)
        ready = schema["paths"]["/readyz"]["get"]["responses"]["503"]
        assert "application/json" in ready["content"]


class TestOfflineDocsPages:
    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_docs_pages_load_only_assets_this_server_serves(self, api: Api) -> None:
        """/docs and /redoc refer to no other host, and every script, style and icon they name is served here."""
        for page in ("/docs", "/redoc"):
            response = api.get(page, role=None)
            assert response.status_code == 200
            policy = response.headers["content-security-policy"]
            assert "default-src 'self'" in policy and "connect-src 'self';" in policy
            assert "img-src 'self' data:;" in policy and "http" not in policy
            html = response.text
            assert "cdn." not in html and "fonts.googleapis" not in html
            urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html) + re.findall(
                r"""url:\s*['"]([^'"]+)['"]""", html
            )
            assert urls, f"{page}: found no asset URLs"
            for url in urls:
                assert url.startswith("/"), f"{page} refers to {url}"
                asset = api.get(url, role=None)
                assert asset.status_code == 200, f"{page}: {url} answers {asset.status_code}"
                assert len(asset.content) > 100
