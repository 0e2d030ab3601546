"""Named users of the staff console: who they are, which roles they hold, and when they may sign in.

A user is an e-mail address (unique, compared lower-cased), a display name and title (printed on the
certificate of completion when they send an envelope), one or more of the five roles, and the state
of their credentials: an Argon2id password hash (none until they follow their invitation), an
optional TOTP secret (a second factor once confirmed), a count of failed sign-ins and a lock.

After ``MAX_FAILED_ATTEMPTS`` wrong passwords (or codes) in a row the account is locked for a
bounded time; the next success resets the count. Invitations and password resets are one-time
links: a random token of which only the SHA-256 is stored, valid for a bounded time, used once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.email_address import parse_email
from domain.errors import FieldError, InvalidInput
from domain.roles import Role
from domain.text import single_line

MAX_FAILED_ATTEMPTS = 5
PASSWORD_MIN = 12
PASSWORD_MAX = 128
LOCK_MINUTES_MAX = 24 * 60
INVITE_HOURS_MAX = 14 * 24
NAME_MAX = 200


class LinkPurpose(StrEnum):
    """Why a one-time link was issued: a first invitation, a reset by an admin, or a pending code step."""

    INVITE = "invite"
    RESET = "reset"
    # Issued when the password was right and the account has a second factor: good for one code step.
    SECOND_FACTOR = "second_factor"


@dataclass(frozen=True)
class User:
    """One named user as stored (the password hash and TOTP secret never leave the service)."""

    id: str
    email: str
    display_name: str
    title: str
    roles: tuple[Role, ...]
    created_at: datetime
    password_hash: str | None = None
    totp_secret: str | None = None
    totp_enabled_at: datetime | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None
    disabled_at: datetime | None = None
    last_sign_in_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the user may act at all (not disabled)."""
        return self.disabled_at is None

    @property
    def has_password(self) -> bool:
        """Whether the user has set a password (followed their invitation)."""
        return self.password_hash is not None

    @property
    def totp_enabled(self) -> bool:
        """Whether sign-in asks for a code from an authenticator app."""
        return self.totp_secret is not None and self.totp_enabled_at is not None

    def locked_at(self, now: datetime) -> bool:
        """Whether the account is locked at ``now`` (after repeated failures)."""
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime, lock_for: timedelta) -> User:
        """Return the user after one more failed sign-in: locked for ``lock_for`` at the fifth in a row."""
        failed = self.failed_attempts + 1
        if failed >= MAX_FAILED_ATTEMPTS:
            return replace(self, failed_attempts=0, locked_until=now + lock_for)
        return replace(self, failed_attempts=failed)

    def after_success(self, now: datetime) -> User:
        """Return the user after a successful sign-in: the failure count and any expired lock cleared."""
        return replace(self, failed_attempts=0, locked_until=None, last_sign_in_at=now)


@dataclass(frozen=True)
class OneTimeLink:
    """A stored one-time link: the hash of its token, whose it is, why, until when, and whether it was used."""

    token_hash: str
    user_id: str
    purpose: LinkPurpose
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        """Whether the link can still set a password at ``now`` (unused and unexpired)."""
        return self.used_at is None and now < self.expires_at


def new_link_token() -> str:
    """Return a fresh one-time link token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_link_token(token: str) -> str:
    """Return the SHA-256 under which a link token (or a session id) is stored: never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(value: str) -> str:
    """Return a user's e-mail address as stored and compared (one plain address, lower-cased)."""
    try:
        return parse_email(value.strip()).lower()
    except ValueError as exc:
        raise InvalidInput(f"The e-mail address {exc}.", errors=[FieldError("email", f"{exc}")]) from None


def validate_person_text(field: str, value: str, *, required: bool) -> str:
    """Return a display name or title checked as one line of human text, else raise ``InvalidInput``."""
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"Enter the user's {field.replace('_', ' ')}.", errors=[FieldError(field, "is required")])
    if len(text) > NAME_MAX:
        raise InvalidInput(
            f"The {field.replace('_', ' ')} is longer than {NAME_MAX} characters.",
            errors=[FieldError(field, f"at most {NAME_MAX} characters")],
        )
    try:
        return single_line(text)
    except ValueError as exc:
        raise InvalidInput(f"The {field.replace('_', ' ')} {exc}.", errors=[FieldError(field, str(exc))]) from None


def parse_roles(values: Iterable[str]) -> tuple[Role, ...]:
    """Return the roles named in ``values`` (at least one, each known, in the order of ``Role``)."""
    chosen: set[Role] = set()
    for value in values:
        try:
            chosen.add(Role(value))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise InvalidInput(
                f"'{value}' is not a role. The roles are: {known}.", errors=[FieldError("roles", "unknown role")]
            ) from None
    if not chosen:
        raise InvalidInput("Choose at least one role for the user.", errors=[FieldError("roles", "at least one")])
    return tuple(role for role in Role if role in chosen)


def validate_password(password: str, *, email: str) -> str:
    """Return ``password`` if it is acceptable (length bounds, not the e-mail address), else raise."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(
            f"Choose a password of at least {PASSWORD_MIN} characters (a few unrelated words work well).",
            errors=[FieldError("password", f"at least {PASSWORD_MIN} characters")],
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(
            f"Choose a password of at most {PASSWORD_MAX} characters.",
            errors=[FieldError("password", f"at most {PASSWORD_MAX} characters")],
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise InvalidInput(
            "The password must not contain control characters.",
            errors=[FieldError("password", "control characters")],
        )
    if password.strip().lower() == email.lower():
        raise InvalidInput(
            "The password must not be your e-mail address.", errors=[FieldError("password", "equals the e-mail")]
        )
    return password


def email_domain(email: str) -> str:
    """Return the domain part of an address, lower-cased (``pat@MSP.example`` -> ``msp.example``)."""
    return email.rpartition("@")[2].lower()


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in browser: the hash of its cookie, whose it is, its CSRF token and its lifetime.

    A session ends at ``expires_at`` (an absolute bound from sign-in) or after ``idle`` without a
    request, whichever is first, and at sign-out; a new one is issued at every sign-in.
    """

    id_hash: str
    user_id: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None

    def live_at(self, now: datetime, idle: timedelta) -> bool:
        """Whether the session still signs its browser in at ``now``."""
        return self.ended_at is None and now < self.expires_at and now < self.last_seen_at + idle
