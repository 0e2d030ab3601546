"""API key use cases: create (shown once), list, revoke, and authenticate a presented key.

A key belongs either to an integration (it has a role of its own) or to a named user (it acts with
that user's roles, and stops working while the user is disabled). Either way the audit trail names
the key, and for a user's key the person behind it.
"""

from __future__ import annotations

from domain.actor import SYSTEM, Actor, ActorKind
from domain.api_keys import ApiKeyRecord, hash_key, new_key, validate_key_name
from domain.errors import Conflict, NotFound, Unauthenticated
from domain.ports import ApiKeyRepository, AuditTrail, Clock, UserRepository
from domain.roles import Permission, Role


class ApiKeyService:
    """Issue and check API keys; only hashes are stored."""

    def __init__(
        self, keys: ApiKeyRepository, clock: Clock, audit: AuditTrail, *, users: UserRepository | None = None
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._audit = audit
        self._users = users

    def create(self, name: str, role: Role, *, by: Actor = SYSTEM) -> tuple[ApiKeyRecord, str]:
        """Create an integration's key and return its record and the key itself (the only time it is seen)."""
        by.require(Permission.KEYS_MANAGE)
        key = new_key()
        record = ApiKeyRecord(
            name=validate_key_name(name), role=role, key_hash=hash_key(key), created_at=self._clock.now()
        )
        self._keys.add(record)
        self._audit.record(by, "key.created", {"key": record.name}, payload={"role": role.value})
        return record, key

    def create_for_user(self, name: str, user_id: str, *, by: Actor) -> tuple[ApiKeyRecord, str]:
        """Create a key that acts as user ``user_id`` (with their roles); return it once."""
        by.require(Permission.KEYS_MANAGE)
        user = self._users.by_id(user_id) if self._users is not None else None
        if user is None:
            raise NotFound("There is no such user.")
        if not user.active:
            raise Conflict("The user is disabled: a key for them would not work.")
        key = new_key()
        record = ApiKeyRecord(
            name=validate_key_name(name),
            role=None,
            key_hash=hash_key(key),
            created_at=self._clock.now(),
            user_id=user.id,
        )
        self._keys.add(record)
        self._audit.record(by, "key.created", {"key": record.name, "user": user.id}, payload={"user_id": user.id})
        return record, key

    def list(self) -> list[ApiKeyRecord]:
        """Return every key, active and revoked, newest first."""
        return self._keys.all()

    def revoke(self, name: str, *, by: Actor = SYSTEM) -> ApiKeyRecord:
        """Revoke the key ``name``; later requests with it get 401."""
        by.require(Permission.KEYS_MANAGE)
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
        if record.user_id is None:
            return Actor(name=record.name, role=record.role, kind=ActorKind.KEY, ip=ip, user_agent=user_agent)
        user = self._users.by_id(record.user_id) if self._users is not None else None
        if user is None or not user.active:
            raise Unauthenticated("The API key belongs to a user who is disabled.")
        return Actor(
            name=record.name,
            kind=ActorKind.KEY,
            roles=user.roles,
            user_id=user.id,
            display_name=user.display_name,
            title=user.title,
            email=user.email,
            ip=ip,
            user_agent=user_agent,
        )
