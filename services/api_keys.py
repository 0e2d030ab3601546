"""API key use cases: create (shown once), list, revoke, and authenticate a presented key."""

from __future__ import annotations

from domain.actor import SYSTEM, Actor, ActorKind
from domain.api_keys import ApiKeyRecord, hash_key, new_key, validate_key_name
from domain.errors import NotFound, Unauthenticated
from domain.ports import ApiKeyRepository, AuditTrail, Clock
from domain.roles import Role


class ApiKeyService:
    """Issue and check API keys; only hashes are stored."""

    def __init__(self, keys: ApiKeyRepository, clock: Clock, audit: AuditTrail) -> None:
        self._keys = keys
        self._clock = clock
        self._audit = audit

    def create(self, name: str, role: Role, *, by: Actor = SYSTEM) -> tuple[ApiKeyRecord, str]:
        """Create a key and return its record and the key itself (the only time it is seen)."""
        key = new_key()
        record = ApiKeyRecord(
            name=validate_key_name(name), role=role, key_hash=hash_key(key), created_at=self._clock.now()
        )
        self._keys.add(record)
        self._audit.record(by, "key.created", {"key": record.name}, payload={"role": record.role.value})
        return record, key

    def list(self) -> list[ApiKeyRecord]:
        """Return every key, active and revoked, newest first."""
        return self._keys.all()

    def revoke(self, name: str, *, by: Actor = SYSTEM) -> ApiKeyRecord:
        """Revoke the key ``name``; later requests with it get 401."""
        record = self._keys.by_name(name)
        if record is None:
            raise NotFound(f"No API key named '{name}'.")
        self._keys.revoke(name, self._clock.now())
        self._audit.record(by, "key.revoked", {"key": name})
        revoked = self._keys.by_name(name)
        assert revoked is not None
        return revoked

    def authenticate(self, presented: str | None, *, ip: str | None, user_agent: str | None) -> Actor:
        """Return the actor a presented key stands for; raise ``Unauthenticated`` otherwise."""
        if not presented:
            raise Unauthenticated("Send an API key as 'Authorization: Bearer <key>'.")
        record = self._keys.by_hash(hash_key(presented))
        # Unknown and revoked keys get the same answer: the caller learns nothing about which keys exist.
        if record is None or not record.active:
            raise Unauthenticated("The API key is unknown or has been revoked.")
        return Actor(name=record.name, role=record.role, kind=ActorKind.KEY, ip=ip, user_agent=user_agent)
