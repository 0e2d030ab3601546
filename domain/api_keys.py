"""API keys: how they look, how they are stored (hashed), and which names are acceptable.

A key is shown once, when it is created; only its SHA-256 is stored. The keys are 256-bit random
values, so a plain hash is enough (no slow KDF needed: there is nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from domain.errors import FieldError, InvalidInput
from domain.roles import Role

KEY_PREFIX = "usk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def new_key() -> str:
    """Return a fresh API key: a recognisable prefix and 256 random bits."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Return the hex SHA-256 under which a key is stored and looked up."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def validate_key_name(name: str) -> str:
    """Return ``name`` if it is a valid key name (lowercase letters, digits, . _ -), else raise."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            "Key names are 1-63 characters: lowercase letters, digits, '.', '_' or '-', starting with a "
            "letter or digit.",
            errors=[FieldError("name", "must match ^[a-z0-9][a-z0-9._-]{0,62}$")],
        )
    return name


@dataclass(frozen=True)
class ApiKeyRecord:
    """One API key as stored: name, role and hash, never the key itself.

    An integration's key has a role of its own; a user's key has none (``role`` is ``None``) and
    acts with its user's roles at the time of each request, so changing or disabling the user
    changes what the key may do at once.
    """

    name: str
    role: Role | None
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    user_id: str | None = None

    @property
    def active(self) -> bool:
        """Whether the key still opens the door."""
        return self.revoked_at is None
