"""The /v1/clients resource: create, read, change, search, and refuse bad input without storing it."""

from __future__ import annotations

from typing import Any

import pytest

from domain.roles import Role
from tests.conftest import Api


def client_body(**overrides: Any) -> dict[str, Any]:
    """A valid client creation body, with fields overridden."""
    body: dict[str, Any] = {
        "legal_name": "Northwind Dental Clinic Ltd.",
        "short_name": "Northwind",
        "address": "400 Main St\nVancouver BC V6A 1A1",
        "jurisdiction": "CA-BC",
        "billing_email": "ap@northwind.example",
        "primary_contact": {"name": "Dana Wu", "title": "Office Manager", "email": "dana@northwind.example"},
        "notes": "Two sites.",
    }
    body.update(overrides)
    return body


def count_clients(api: Api) -> int:
    """Return how many clients the API lists."""
    return len(api.get("/v1/clients?limit=200").json()["items"])


class TestCreateAndRead:
    def test_created_client_is_returned_with_location(self, api: Api) -> None:
        """A valid body creates the client, answers 201 with a Location, and reads back equal."""
        created = api.post("/v1/clients", json=client_body(), role=Role.SALES)
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["location"] == f"/v1/clients/{body['id']}"
        fetched = api.get(f"/v1/clients/{body['id']}", role=Role.AUDITOR)
        assert fetched.status_code == 200
        assert fetched.json() == body
        assert body["jurisdiction"] == "CA-BC"

    def test_duplicate_legal_name_in_same_jurisdiction_conflicts(self, api: Api) -> None:
        """The same legal name (any case) in the same jurisdiction is a 409; another jurisdiction is fine."""
        assert api.post("/v1/clients", json=client_body()).status_code == 201
        dup = api.post("/v1/clients", json=client_body(legal_name="NORTHWIND DENTAL CLINIC LTD."))
        assert dup.status_code == 409
        assert dup.headers["content-type"] == "application/problem+json"
        assert api.post("/v1/clients", json=client_body(jurisdiction="US-WA")).status_code == 201
        assert count_clients(api) == 2

    def test_unknown_client_is_404_problem(self, api: Api) -> None:
        """Reading a client that does not exist answers a 404 problem."""
        response = api.get("/v1/clients/00000000-0000-0000-0000-000000000000")
        assert response.status_code == 404
        assert response.json()["status"] == 404


class TestChange:
    def test_patch_changes_only_given_fields(self, api: Api, clock: Any) -> None:
        """PATCH changes the fields sent, keeps the others and moves updated_at."""
        created = api.post("/v1/clients", json=client_body()).json()
        clock.advance(minutes=5)
        changed = api.patch(f"/v1/clients/{created['id']}", json={"notes": "Three sites.", "jurisdiction": "ca-bc"})
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert body["notes"] == "Three sites."
        assert body["legal_name"] == created["legal_name"]
        assert body["updated_at"] > created["updated_at"]

    def test_patch_null_is_refused_and_changes_nothing(self, api: Api) -> None:
        """Setting a required field to null is a 422 naming it, and the client is unchanged."""
        created = api.post("/v1/clients", json=client_body()).json()
        response = api.patch(f"/v1/clients/{created['id']}", json={"legal_name": None})
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/legal_name"
        assert api.get(f"/v1/clients/{created['id']}").json() == created

    def test_rename_onto_existing_client_conflicts(self, api: Api) -> None:
        """Renaming a client to another client's legal name in the same jurisdiction is a 409."""
        api.post("/v1/clients", json=client_body(legal_name="Alpha Ltd"))
        beta = api.post("/v1/clients", json=client_body(legal_name="Beta Ltd")).json()
        response = api.patch(f"/v1/clients/{beta['id']}", json={"legal_name": "alpha ltd"})
        assert response.status_code == 409


class TestSearch:
    def test_keyset_pages_cover_everything_once_in_name_order(self, api: Api) -> None:
        """Paging with limit 2 returns every matching client exactly once, ordered by legal name."""
        names = ["Delta Co", "alpha Co", "Charlie Co", "Bravo Co", "Echo Co", "Unrelated Inc"]
        for name in names:
            assert api.post("/v1/clients", json=client_body(legal_name=name)).status_code == 201
        seen: list[str] = []
        cursor = None
        while True:
            url = "/v1/clients?q=co&limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = api.get(url).json()
            seen += [c["legal_name"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(n for n in names if "Co" in n)
        assert seen == sorted(seen)

    def test_like_wildcards_in_query_are_literal(self, api: Api) -> None:
        """A '%' in the search text matches a literal percent sign, not everything."""
        api.post("/v1/clients", json=client_body(legal_name="100% Uptime Ltd"))
        api.post("/v1/clients", json=client_body(legal_name="Other Ltd"))
        items = api.get("/v1/clients?q=%25").json()["items"]
        assert [c["legal_name"] for c in items] == ["100% Uptime Ltd"]

    def test_garbage_cursor_is_422(self, api: Api) -> None:
        """A cursor the service did not hand out is a 422 naming the cursor."""
        response = api.get("/v1/clients?cursor=not-a-cursor")
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "cursor"


BAD_BODIES = {
    "missing fields": ({"legal_name": "X Ltd"}, "/jurisdiction"),
    "wrong type": (client_body(legal_name=12345), "/legal_name"),
    "unknown jurisdiction": (client_body(jurisdiction="ZZ-QQ"), "/jurisdiction"),
    "unknown region": (client_body(jurisdiction="CA-XX"), "/jurisdiction"),
    "100 KB name": (client_body(legal_name="A" * 100_000), "/legal_name"),
    "control characters": (client_body(legal_name="Evil\x00Corp\x1b[31m"), "/legal_name"),
    "line break in name": (client_body(legal_name="Evil\nCorp"), "/legal_name"),
    "bad email": (client_body(billing_email="not-an-email"), "/billing_email"),
    "nested bad email": (
        client_body(primary_contact={"name": "A", "title": "", "email": "nope"}),
        "/primary_contact/email",
    ),
    "unknown field": (client_body(is_admin=True), "/is_admin"),
}


class TestBadInput:
    @pytest.mark.parametrize("case", list(BAD_BODIES))
    def test_bad_body_is_422_naming_the_field_and_stores_nothing(self, api: Api, case: str) -> None:
        """Each kind of bad client input gets a 422 problem naming the field, and no client is stored."""
        body, pointer = BAD_BODIES[case]
        response = api.post("/v1/clients", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert pointer in [e["pointer"] for e in problem["errors"]]
        assert pointer in problem["detail"]
        assert count_clients(api) == 0

    def test_missing_fields_are_all_listed(self, api: Api) -> None:
        """A body missing several required fields lists every one of them in one response."""
        problem = api.post("/v1/clients", json={}).json()
        pointers = {e["pointer"] for e in problem["errors"]}
        assert {"/legal_name", "/jurisdiction", "/billing_email", "/primary_contact"} <= pointers

    def test_ten_megabyte_body_is_413(self, api: Api) -> None:
        """A 10 MB body is refused with a 413 problem and nothing is stored."""
        response = api.client.post(
            "/v1/clients",
            content=b"{" + b" " * 10_000_000 + b"}",
            headers={**api.headers(Role.ADMIN), "content-type": "application/json"},
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert count_clients(api) == 0

    def test_ten_megabyte_chunked_body_is_413(self, api: Api) -> None:
        """A 10 MB body sent without Content-Length is counted as it streams and refused with 413."""
        chunks = (b" " * 1_000_000 for _ in range(10))
        response = api.client.post(
            "/v1/clients",
            content=chunks,
            headers={**api.headers(Role.ADMIN), "content-type": "application/json"},
        )
        assert response.status_code == 413
        assert count_clients(api) == 0

    def test_malformed_json_is_422_problem(self, api: Api) -> None:
        """A body that is not JSON is a 422 problem, not a 500."""
        response = api.client.post(
            "/v1/clients",
            content=b"{nope",
            headers={**api.headers(Role.ADMIN), "content-type": "application/json"},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
