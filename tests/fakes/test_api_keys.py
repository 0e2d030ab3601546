"""The API key fake keeps the contract of ``domain.ports.api_keys``: unique names, lookup by hash, first revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.api_keys import ApiKeyRecord
from domain.errors import Conflict
from domain.ports import ApiKeyRepository
from domain.roles import Role
from tests.fakes.api_keys import FakeApiKeyRepository

AT = datetime(2026, 3, 1, tzinfo=UTC)


class TestFakeApiKeyRepository:
    def test_names_are_unique_and_keys_are_found_by_hash(self) -> None:
        """A taken name is a Conflict; by_hash finds the key; all() lists newest first."""
        port: ApiKeyRepository = FakeApiKeyRepository()
        port.add(ApiKeyRecord("alice", Role.SALES, "h1", AT))
        port.add(ApiKeyRecord("bob", Role.BILLING, "h2", AT + timedelta(hours=1)))
        with pytest.raises(Conflict):
            port.add(ApiKeyRecord("alice", Role.ADMIN, "h3", AT))
        assert (port.by_hash("h2") or ApiKeyRecord("x", Role.ADMIN, "", AT)).name == "bob"
        assert port.by_hash("h9") is None and [k.name for k in port.all()] == ["bob", "alice"]

    def test_the_first_revocation_stands(self) -> None:
        """Revoking twice keeps the first revocation time."""
        port: ApiKeyRepository = FakeApiKeyRepository()
        port.add(ApiKeyRecord("alice", Role.SALES, "h1", AT))
        port.revoke("alice", AT + timedelta(days=1))
        port.revoke("alice", AT + timedelta(days=2))
        revoked = port.by_name("alice")
        assert revoked is not None and revoked.revoked_at == AT + timedelta(days=1)
