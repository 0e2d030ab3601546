"""Authentication and roles: no key, unknown key, revoked key, and a role that may not write."""

from __future__ import annotations

import pytest

from domain.roles import Role
from services.api_keys import ApiKeyService
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from tests.api.test_clients import client_body, count_clients
from tests.conftest import Api
from undersign.runtime import Runtime


def assert_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    """Assert ``response`` is a problem+json with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


class TestAuthentication:
    def test_no_key_is_401(self, api: Api) -> None:
        """A request without a key gets a 401 problem with a WWW-Authenticate challenge."""
        response = api.get("/v1/clients", role=None)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    def test_unknown_key_is_401(self, api: Api) -> None:
        """A well-formed key that was never issued gets 401."""
        response = api.client.get("/v1/clients", headers={"Authorization": "Bearer usk_nope"})
        assert_problem(response, 401)

    def test_wrong_scheme_is_401(self, api: Api) -> None:
        """A valid key sent with another scheme than Bearer is not accepted."""
        response = api.client.get("/v1/clients", headers={"Authorization": f"Basic {api.keys[Role.ADMIN]}"})
        assert_problem(response, 401)

    def test_revoked_key_is_401(self, api: Api, runtime: Runtime) -> None:
        """A key works until it is revoked, and gets 401 afterwards."""
        assert api.get("/v1/clients", role=Role.SALES).status_code == 200
        with unit_of_work(runtime.sessions) as session:
            ApiKeyService(SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock)).revoke(
                "test-sales"
            )
        assert_problem(api.get("/v1/clients", role=Role.SALES), 401)


class TestRoles:
    def test_auditor_may_not_create_clients(self, api: Api) -> None:
        """An auditor key on POST /v1/clients is a 403 and nothing is stored."""
        assert_problem(api.post("/v1/clients", json=client_body(), role=Role.AUDITOR), 403)
        assert count_clients(api) == 0

    def test_auditor_may_not_change_clients(self, api: Api) -> None:
        """An auditor key on PATCH is a 403 and the client is unchanged."""
        created = api.post("/v1/clients", json=client_body()).json()
        assert_problem(api.patch(f"/v1/clients/{created['id']}", json={"notes": "x"}, role=Role.AUDITOR), 403)
        assert api.get(f"/v1/clients/{created['id']}").json()["notes"] == created["notes"]

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES, Role.TECH, Role.BILLING])
    def test_working_roles_may_create_clients(self, api: Api, role: Role) -> None:
        """Admin, sales, tech and billing keys may create clients."""
        response = api.post("/v1/clients", json=client_body(legal_name=f"Client of {role}"), role=role)
        assert response.status_code == 201

    @pytest.mark.parametrize("role", list(Role))
    def test_every_role_may_read(self, api: Api, role: Role) -> None:
        """Every role may list clients."""
        assert api.get("/v1/clients", role=role).status_code == 200
