"""Hostile input through POST /v1/documents: printed as inert text, or refused with a 4xx naming the field.

Every case runs on both databases. A value that is accepted must appear literally in the stored PDF
(``pdftotext``) and DOCX (python-docx), never evaluated (``{{ 7*7 }}`` does not become 49), fetched
(no ``/etc/passwd`` content, no link annotation) or interpreted as markup. A value that is refused
must be answered with a problem whose errors name the field, and must leave nothing behind: no
document in ``GET /v1/documents`` and no object under ``documents/`` in the bucket.
"""

from __future__ import annotations

import io
import json
import subprocess
from typing import Any

import docx
import pypdf
import pytest

from domain.roles import Role
from tests.api.test_clients import client_body
from tests.api.test_documents import make_client, sample
from tests.conftest import Api
from undersign.runtime import Runtime

MARK_OPEN, MARK_CLOSE = "ZQX", "QXZ"

INERT = [
    pytest.param("{{ 7*7 }} {{ config }} {{ ''.__class__.__mro__ }}", id="jinja-expression"),
    pytest.param("{% include '/etc/passwd' %} {% for x in range(3) %}loop{% endfor %}", id="jinja-statement"),
    pytest.param("<script>alert(document.cookie)</script> <img src=x onerror=alert(1)> <b>b</b>", id="html"),
    pytest.param("</w:t></w:r><w:r><w:t>INJECTED</w:t>", id="docx-xml"),
    pytest.param("background: url(file:///etc/passwd); @import url(http://169.254.169.254/latest/);", id="css-url"),
    pytest.param("file:///etc/passwd and http://169.254.169.254/latest/meta-data/ [x](http://evil.test)", id="urls"),
    pytest.param("**not bold** # not a heading | not | a table | Smith & <Sons>", id="markdown-and-entities"),
]


def notice_body(client_id: str, **overrides: Any) -> dict[str, Any]:
    """A payment reminder request (PDF and DOCX) with variables overridden."""
    variables = sample("notices/reminder", "day-07")
    variables.update(overrides)
    return {"template": "notices/reminder", "client_id": client_id, "variables": variables, "formats": ["pdf", "docx"]}


def squeeze(text: str) -> str:
    """Drop whitespace and hyphens (line breaks and pdftotext's de-hyphenation must not matter)."""
    return "".join(text.split()).replace("-", "")


def pdf_text(data: bytes) -> str:
    """Return the PDF's text as ``pdftotext`` extracts it."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")


def docx_text(data: bytes) -> str:
    """Return every paragraph and table cell of a .docx."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts.extend(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def link_annotations(data: bytes) -> list[Any]:
    """Return the URI actions of every link annotation in the PDF."""
    found = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None:
                found.append(action.get_object())
    return found


def assert_nothing_stored(api: Api, runtime: Runtime) -> None:
    """No document is listed and the bucket holds no object version under documents/."""
    assert api.get("/v1/documents?limit=200", role=Role.AUDITOR).json()["items"] == []
    store: Any = runtime.blob_store
    listing = store.client.list_object_versions(Bucket=store.bucket, Prefix="documents/")
    assert listing.get("Versions", []) == [] and listing.get("DeleteMarkers", []) == []


class TestInertValues:
    @pytest.mark.parametrize("hostile", INERT)
    def test_value_is_printed_literally_in_pdf_and_docx(self, api: Api, hostile: str) -> None:
        """The value appears as those characters in the stored PDF and DOCX; nothing is evaluated or fetched."""
        value = f"{MARK_OPEN} {hostile} {MARK_CLOSE}"
        client_id = make_client(api)
        body = notice_body(client_id, moved_reason=value, payment={"bank_details": value, "reference": "R-1"})
        created = api.post("/v1/documents", role=Role.BILLING, json=body)
        assert created.status_code == 201, created.text
        files = {f["format"]: api.get(f["url"], role=Role.AUDITOR).content for f in created.json()["files"]}
        pdf, word = pdf_text(files["pdf"]), docx_text(files["docx"])
        for text in (pdf, word):
            assert squeeze(value) in squeeze(text)
            assert text.count(MARK_OPEN) == 2  # both fields, each exactly once: no duplication, no loss
            assert "root:x:0:0" not in text
        if "7*7" in hostile:
            assert squeeze(f"{MARK_OPEN} 49") not in squeeze(pdf) + squeeze(word)
        assert link_annotations(files["pdf"]) == []
        # The record keeps exactly what was sent.
        version = api.get(f"/v1/documents/{created.json()['id']}/versions/1").json()
        assert version["variables"]["moved_reason"] == value

    def test_hostile_client_name_is_printed_literally(self, api: Api) -> None:
        """A client record whose name holds markup and Jinja prints literally in the header and clauses."""
        name = "Acme {{ 7*7 }} <script>x</script> & Sons </w:t> Ltd"
        response = api.post("/v1/clients", json=client_body(legal_name=name, short_name="Acme"))
        assert response.status_code == 201, response.text
        created = api.post("/v1/documents", json=notice_body(response.json()["id"]))
        assert created.status_code == 201, created.text
        files = {f["format"]: api.get(f["url"]).content for f in created.json()["files"]}
        for text in (pdf_text(files["pdf"]), docx_text(files["docx"])):
            assert squeeze(name) in squeeze(text)
            assert "Acme 49" not in text


# (variables override, the JSON pointer the problem must name)
REFUSED = [
    pytest.param({"moved_reason": "late \x07 bell \x1b[2J"}, "/moved_reason", id="control-characters"),
    pytest.param({"moved_reason": "abc \u202eevil\u202c"}, "/moved_reason", id="bidi-override"),
    pytest.param({"moved_reason": "x" * 100_000}, "/moved_reason", id="100k-string"),
    pytest.param({"payment": {"portal_url": "file:///etc/passwd"}}, "/payment/portal_url", id="file-url"),
    pytest.param({"payment": {"portal_url": "http://169.254.169.254/latest/"}}, "/payment/portal_url", id="metadata"),
    pytest.param({"moved_reason": {"a": {"b": {"c": "deep"}}}}, "/moved_reason", id="object-for-string"),
    pytest.param({"extra": 1, "items": [1]}, "/extra", id="unknown-and-reserved-names"),
]


def nested(depth: int) -> dict[str, Any]:
    """Return an object nested ``depth`` levels deep."""
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth):
        value = {"n": value}
    return value


class TestRefusedValues:
    @pytest.mark.parametrize(("override", "pointer"), REFUSED)
    def test_refused_with_a_problem_naming_the_field(
        self, api: Api, runtime: Runtime, override: dict[str, Any], pointer: str
    ) -> None:
        """The request is a 422 problem whose errors name the field, and nothing is stored."""
        client_id = make_client(api)
        response = api.post("/v1/documents", json=notice_body(client_id, **override))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert any(e["pointer"].startswith(pointer) for e in problem["errors"]), problem["errors"]
        # Reasons never echo the hostile value back.
        assert "\x07" not in response.text and "x" * 1000 not in response.text
        assert_nothing_stored(api, runtime)

    def test_megabyte_string_is_refused(self, api: Api, runtime: Runtime) -> None:
        """A one-megabyte value is refused with a 422 naming the field before anything renders; nothing is stored."""
        client_id = make_client(api)
        response = api.post("/v1/documents", json=notice_body(client_id, moved_reason="A" * 1_000_000))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "/moved_reason" in [e["pointer"] for e in response.json()["errors"]]
        assert "A" * 1000 not in response.text
        assert_nothing_stored(api, runtime)

    def test_deeply_nested_data_is_refused(self, api: Api, runtime: Runtime) -> None:
        """Data nested far deeper than any schema allows is a 422 naming where it goes too deep."""
        client_id = make_client(api)
        response = api.post("/v1/documents", json=notice_body(client_id, moved_reason=nested(40)))
        assert response.status_code == 422, response.text
        assert any(e["pointer"].startswith("/moved_reason/n") for e in response.json()["errors"])
        assert_nothing_stored(api, runtime)

    def test_pathologically_nested_json_is_a_4xx_not_a_500(self, api: Api, runtime: Runtime) -> None:
        """JSON nested 5000 levels deep (past the parser's recursion limit) is refused with a 4xx problem."""
        client_id = make_client(api)
        body = json.dumps(notice_body(client_id, moved_reason="PLACEHOLDER"))
        body = body.replace('"PLACEHOLDER"', "[" * 5000 + "]" * 5000)
        response = api.post("/v1/documents", content=body, headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, response.text
        assert_nothing_stored(api, runtime)

    def test_hostile_template_ids_are_refused(self, api: Api, runtime: Runtime) -> None:
        """Template ids that try to leave the library are a 422 naming /template (or a 404); nothing is stored."""
        client_id = make_client(api)
        for template in ("../../etc/passwd", "msa/../../../etc", "{{7*7}}/x", "/etc/passwd"):
            response = api.post("/v1/documents", json={**notice_body(client_id), "template": template})
            assert response.status_code in (404, 422), response.text
            if response.status_code == 422:
                assert any(e["pointer"] == "/template" for e in response.json()["errors"])
        assert_nothing_stored(api, runtime)
