"""``Argon2idHasher``: passwords hashed with Argon2id (argon2-cffi), the OWASP-recommended memory-hard KDF.

The encoded hash carries its own salt and parameters, so stronger parameters later apply to new
hashes while old ones still verify (and are re-hashed at the next sign-in).
"""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2idHasher:
    """Hash and verify passwords with Argon2id.

    The defaults are argon2-cffi's (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4). Tests may pass
    cheaper parameters; the encoded hash records which were used.
    """

    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._hasher = _Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID)

    def hash(self, password: str) -> str:
        """Return the encoded Argon2id hash of ``password`` (``$argon2id$v=19$...``)."""
        return self._hasher.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded``; a malformed hash never matches."""
        try:
            return self._hasher.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """Return whether ``encoded`` used other parameters than this hasher's."""
        try:
            return self._hasher.check_needs_rehash(encoded)
        except InvalidHashError:
            return True
