"""Signing in to the staff console: passwords, the second factor, single sign-on, sessions, lockout.

Every refusal says the same thing ("the e-mail address or password is wrong") whether the address
exists or not, so the form does not tell an attacker which accounts exist. Five failures in a row
(a wrong password, or a wrong authenticator code) lock the account for a bounded time; the lock and
every failure on a known account are recorded in the audit trail. A session is a random id in a
cookie of which only the SHA-256 is stored; a new one is issued at every sign-in, so a session id
planted before sign-in is worth nothing after it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from domain.actor import Actor
from domain.errors import Forbidden, InvalidInput, Unauthenticated
from domain.ports import AuditTrail, Clock, PasswordHasher, SecondFactor, UserRepository
from domain.users import (
    ConsoleSession,
    LinkPurpose,
    OneTimeLink,
    User,
    email_domain,
    hash_link_token,
    new_link_token,
    normalise_email,
)
from services.users import user_actor

WRONG_CREDENTIALS = "The e-mail address or password is wrong."
WRONG_CODE = "The code is wrong or too old. Enter the code your authenticator app shows now."
LOCKED = "This account is locked after too many failed attempts. Try again later or ask an administrator."
SECOND_FACTOR_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionRules:
    """How long sessions live and how long a lock lasts."""

    lifetime: timedelta
    idle: timedelta
    lock_for: timedelta
    issuer: str


@dataclass(frozen=True)
class Where:
    """Where a sign-in came from (recorded with the session and in the audit trail)."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class OpenedSession:
    """A session just opened: the cookie value (shown to the browser once) and the stored session."""

    token: str
    session: ConsoleSession
    user: User


@dataclass(frozen=True)
class PasswordAccepted:
    """The password was right and the user has a second factor: the code step's one-time token."""

    user: User
    pending_token: str


@dataclass(frozen=True)
class TotpEnrolment:
    """A second factor being set up: the secret and the URI an authenticator app scans."""

    secret: str
    uri: str


class SignInService:
    """Check credentials, open and close sessions, and set up the second factor."""

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        codes: SecondFactor,
        clock: Clock,
        audit: AuditTrail,
        rules: SessionRules,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._codes = codes
        self._clock = clock
        self._audit = audit
        self._rules = rules

    def sign_in(self, email: str, password: str, where: Where) -> OpenedSession | PasswordAccepted:
        """Check an e-mail address and password; open a session, or ask for the second factor."""
        try:
            address = normalise_email(email)
        except InvalidInput:
            raise Unauthenticated(WRONG_CREDENTIALS) from None
        user = self._users.by_email(address)
        if user is None or not user.active or user.password_hash is None:
            raise Unauthenticated(WRONG_CREDENTIALS)
        now = self._clock.now()
        if user.locked_at(now):
            self._audit.record(
                self._as(user, where), "user.sign_in_refused", {"user": user.id}, payload={"why": "locked"}
            )
            raise Forbidden(LOCKED)
        if not self._hasher.verify(user.password_hash, password):
            self._fail(user, where, "password")
            raise Unauthenticated(WRONG_CREDENTIALS)
        if self._hasher.needs_rehash(user.password_hash):
            user = replace(user, password_hash=self._hasher.hash(password))
            self._users.save(user, now)
        if user.totp_enabled:
            token = new_link_token()
            self._users.add_link(
                OneTimeLink(
                    token_hash=hash_link_token(token),
                    user_id=user.id,
                    purpose=LinkPurpose.SECOND_FACTOR,
                    created_at=now,
                    expires_at=now + SECOND_FACTOR_TTL,
                )
            )
            return PasswordAccepted(user=user, pending_token=token)
        return self._open(user, where, "password")

    def second_factor(self, pending_token: str, code: str, where: Where) -> OpenedSession:
        """Finish a sign-in with the code from the authenticator app (the password step's token)."""
        now = self._clock.now()
        link = self._users.link(hash_link_token(pending_token))
        if link is None or link.purpose is not LinkPurpose.SECOND_FACTOR or not link.usable_at(now):
            raise Unauthenticated("The sign-in took too long. Enter your e-mail address and password again.")
        user = self._users.by_id(link.user_id)
        if user is None or not user.active or user.totp_secret is None:
            raise Unauthenticated(WRONG_CREDENTIALS)
        if user.locked_at(now):
            raise Forbidden(LOCKED)
        if not self._codes.verify(user.totp_secret, code, now):
            locked = self._fail(user, where, "code")
            if locked:
                self._users.use_link(link.token_hash, now)
                raise Forbidden(LOCKED)
            raise Unauthenticated(WRONG_CODE)
        if not self._users.use_link(link.token_hash, now):
            raise Unauthenticated("The sign-in took too long. Enter your e-mail address and password again.")
        return self._open(user, where, "password+code")

    def single_sign_on(
        self, email: str, email_verified: bool, allowed_domain: str | None, where: Where
    ) -> OpenedSession:
        """Open a session for a user whom the identity provider vouched for (an invited, active user only)."""
        if not email_verified:
            raise Unauthenticated("Your identity provider did not confirm your e-mail address.")
        try:
            address = normalise_email(email)
        except InvalidInput:
            raise Unauthenticated("Your identity provider sent no usable e-mail address.") from None
        if allowed_domain and email_domain(address) != allowed_domain.lower():
            raise Forbidden(f"Only {allowed_domain} accounts may sign in here.")
        user = self._users.by_email(address)
        if user is None or not user.active:
            raise Forbidden("You have no account here yet. Ask an administrator to invite you.")
        if user.locked_at(self._clock.now()):
            raise Forbidden(LOCKED)
        return self._open(user, where, "single sign-on")

    def _fail(self, user: User, where: Where, what: str) -> bool:
        """Count a failure; lock at the fifth in a row. Return whether the account is now locked."""
        now = self._clock.now()
        updated = user.after_failure(now, self._rules.lock_for)
        self._users.save(updated, now)
        actor = self._as(user, where)
        self._audit.record(actor, "user.sign_in_failed", {"user": user.id}, payload={"what": what})
        if updated.locked_until is not None and updated.locked_until > now:
            until = updated.locked_until.isoformat()
            self._audit.record(actor, "user.locked", {"user": user.id}, payload={"until": until})
            return True
        return False

    def _open(self, user: User, where: Where, method: str) -> OpenedSession:
        now = self._clock.now()
        user = user.after_success(now)
        self._users.save(user, now)
        token = secrets.token_urlsafe(32)
        session = ConsoleSession(
            id_hash=hash_link_token(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._rules.lifetime,
        )
        self._users.add_session(session, ip=where.ip, user_agent=where.user_agent)
        self._audit.record(self._as(user, where), "user.signed_in", {"user": user.id}, payload={"method": method})
        return OpenedSession(token=token, session=session, user=user)

    def _as(self, user: User, where: Where) -> Actor:
        return user_actor(user, ip=where.ip, user_agent=where.user_agent)

    def current(self, token: str | None) -> tuple[User, ConsoleSession] | None:
        """Return the user and session a cookie stands for, or ``None`` (unknown, ended, idle or disabled)."""
        if not token:
            return None
        now = self._clock.now()
        session = self._users.session(hash_link_token(token))
        if session is None or not session.live_at(now, self._rules.idle):
            return None
        user = self._users.by_id(session.user_id)
        if user is None or not user.active:
            return None
        # Written at most once a minute: a page with many requests does not rewrite the row each time.
        if now - session.last_seen_at > timedelta(minutes=1):
            self._users.touch_session(session.id_hash, now)
        return user, session

    def sign_out(self, token: str | None, where: Where) -> None:
        """End the session of this cookie (nothing happens for an unknown one)."""
        found = self.current(token)
        if found is None or token is None:
            return
        user, session = found
        self._users.end_session(session.id_hash, self._clock.now())
        self._audit.record(self._as(user, where), "user.signed_out", {"user": user.id})

    def start_totp(self, user: User) -> TotpEnrolment:
        """Give ``user`` a new (not yet active) authenticator secret to scan or type in."""
        secret = self._codes.new_secret()
        self._users.save(replace(user, totp_secret=secret, totp_enabled_at=None), self._clock.now())
        return TotpEnrolment(secret=secret, uri=self._codes.provisioning_uri(secret, user.email, self._rules.issuer))

    def enrolment(self, user: User) -> TotpEnrolment | None:
        """Return the secret being set up (scanned but not confirmed), or ``None``."""
        if user.totp_secret is None or user.totp_enabled:
            return None
        uri = self._codes.provisioning_uri(user.totp_secret, user.email, self._rules.issuer)
        return TotpEnrolment(secret=user.totp_secret, uri=uri)

    def confirm_totp(self, user: User, code: str, where: Where) -> User:
        """Turn the second factor on once the user typed a valid code from their app."""
        now = self._clock.now()
        if user.totp_secret is None or user.totp_enabled:
            raise InvalidInput("Start setting up the authenticator app first.")
        if not self._codes.verify(user.totp_secret, code, now):
            raise InvalidInput(WRONG_CODE)
        updated = replace(user, totp_enabled_at=now)
        self._users.save(updated, now)
        self._audit.record(self._as(user, where), "user.second_factor_on", {"user": user.id})
        return updated
