"""Ports of the staff console's users: where users, links and sessions are stored, and the credential checks."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.users import ConsoleSession, OneTimeLink, User


class SecretSealer(Protocol):
    """Seals small secrets (authenticator-app secrets) before they are stored, and opens them when read."""

    def seal(self, plain: str, owner: str) -> str:
        """Return ``plain`` sealed for ``owner`` (the id of the row it is stored on)."""
        ...

    def open(self, value: str, owner: str) -> str:
        """Return the plain secret of ``owner``'s sealed ``value``; raise when it does not open."""
        ...


class UserRepository(Protocol):
    """Stored users."""

    def add(self, user: User) -> None:
        """Insert a new user; raise ``Conflict`` when the e-mail address is taken."""
        ...

    def save(self, user: User, at: datetime) -> None:
        """Store every field of an existing user."""
        ...

    def by_id(self, user_id: str) -> User | None:
        """Return the user with this id, or ``None``."""
        ...

    def by_email(self, email: str) -> User | None:
        """Return the user with this (normalised) e-mail address, or ``None``."""
        ...

    def all(self) -> list[User]:
        """Return every user, by display name."""
        ...

    def add_link(self, link: OneTimeLink) -> None:
        """Store a one-time link (its token hash)."""
        ...

    def link(self, token_hash: str) -> OneTimeLink | None:
        """Return the link with this token hash, or ``None``."""
        ...

    def use_link(self, token_hash: str, at: datetime) -> bool:
        """Mark the link used; return ``False`` when it was used already (a second use is refused)."""
        ...

    def add_session(self, session: ConsoleSession, *, ip: str | None, user_agent: str | None) -> None:
        """Store a new signed-in session."""
        ...

    def session(self, id_hash: str) -> ConsoleSession | None:
        """Return the session with this id hash, or ``None``."""
        ...

    def touch_session(self, id_hash: str, at: datetime) -> None:
        """Record that the session was used at ``at`` (it stays alive while used)."""
        ...

    def end_session(self, id_hash: str, at: datetime) -> None:
        """End one session (sign-out)."""
        ...

    def end_sessions_of(self, user_id: str, at: datetime) -> int:
        """End every live session of a user (disabled, or password changed); return how many."""
        ...


class PasswordHasher(Protocol):
    """Hashes and checks passwords (Argon2id in production)."""

    def hash(self, password: str) -> str:
        """Return the encoded hash of ``password``."""
        ...

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded``."""
        ...

    def needs_rehash(self, encoded: str) -> bool:
        """Return whether ``encoded`` was made with weaker parameters than today's."""
        ...


class SecondFactor(Protocol):
    """Time-based one-time codes from an authenticator app (RFC 6238)."""

    def new_secret(self) -> str:
        """Return a fresh base32 secret."""
        ...

    def verify(self, secret: str, code: str, at: datetime) -> bool:
        """Return whether ``code`` is valid for ``secret`` at ``at`` (one step of clock drift allowed)."""
        ...

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        """Return the ``otpauth://`` URI an authenticator app scans."""
        ...
