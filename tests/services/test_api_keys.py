"""The API key service driven through fakes: a key shown once, stored as a hash, refused once revoked."""

from __future__ import annotations

import pytest

from domain.actor import ActorKind
from domain.api_keys import hash_key
from domain.errors import Conflict, InvalidInput, Unauthenticated
from domain.roles import Role
from services.api_keys import ApiKeyService
from tests.fakes.api_keys import FakeApiKeyRepository
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.clock import FixedClock


class Keys:
    """The key service over a key fake and an audit fake."""

    def __init__(self) -> None:
        self.clock = FixedClock()
        self.repo = FakeApiKeyRepository()
        self.audit = FakeAuditTrail(self.clock)
        self.service = ApiKeyService(self.repo, self.clock, self.audit)


class TestApiKeys:
    def test_a_key_is_stored_only_as_its_hash_and_opens_as_its_role(self) -> None:
        """The stored record holds the key's SHA-256, never the key; presenting it yields the key's actor."""
        keys = Keys()
        _record, key = keys.service.create("billing-desk", Role.BILLING)
        [stored] = keys.repo.rows.values()
        assert stored.key_hash == hash_key(key) and key not in repr(stored)
        actor = keys.service.authenticate(key, ip="203.0.113.7", user_agent="curl/8")
        assert (actor.name, actor.role, actor.kind, actor.ip) == (
            "billing-desk",
            Role.BILLING,
            ActorKind.KEY,
            "203.0.113.7",
        )
        assert keys.audit.of("key.created")[0].payload == {"role": "billing"}

    def test_revoked_unknown_and_missing_keys_get_the_same_refusal(self) -> None:
        """After revocation the key is refused exactly like an unknown one; the revocation is audited."""
        keys = Keys()
        _record, key = keys.service.create("alice", Role.SALES)
        keys.service.revoke("alice")
        with pytest.raises(Unauthenticated) as revoked:
            keys.service.authenticate(key, ip=None, user_agent=None)
        with pytest.raises(Unauthenticated) as unknown:
            keys.service.authenticate(key + "x", ip=None, user_agent=None)
        with pytest.raises(Unauthenticated):
            keys.service.authenticate(None, ip=None, user_agent=None)
        assert revoked.value.detail == unknown.value.detail
        assert keys.audit.actions() == ["key.created", "key.revoked"]

    def test_bad_and_taken_names_are_refused(self) -> None:
        """An upper-case name is invalid and a taken one a Conflict; only the first key is stored."""
        keys = Keys()
        keys.service.create("alice", Role.SALES)
        with pytest.raises(InvalidInput):
            keys.service.create("Alice", Role.SALES)
        with pytest.raises(Conflict):
            keys.service.create("alice", Role.ADMIN)
        assert list(keys.repo.rows) == ["alice"] and keys.audit.actions() == ["key.created"]
