"""``SqlUserRepository``: named users, their one-time links and their console sessions in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import Conflict
from domain.ports.users import SecretSealer
from domain.roles import Role
from domain.users import ConsoleSession, LinkPurpose, OneTimeLink, User
from storage.tables_users import console_sessions, user_links, users


def _user(row: Row[Any], sealer: SecretSealer) -> User:
    m = row._mapping
    sealed = m["totp_secret"]
    return User(
        id=m["id"],
        email=m["email"],
        display_name=m["display_name"],
        title=m["title"],
        roles=tuple(Role(value) for value in m["roles"]),
        created_at=m["created_at"],
        password_hash=m["password_hash"],
        totp_secret=None if sealed is None else sealer.open(sealed, m["id"]),
        totp_enabled_at=m["totp_enabled_at"],
        failed_attempts=m["failed_attempts"],
        locked_until=m["locked_until"],
        disabled_at=m["disabled_at"],
        last_sign_in_at=m["last_sign_in_at"],
    )


def _values(user: User, sealer: SecretSealer) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "title": user.title,
        "roles": [role.value for role in user.roles],
        "password_hash": user.password_hash,
        # Sealed: a copy of the table (backup, replica) must not be enough to produce second-factor codes.
        "totp_secret": None if user.totp_secret is None else sealer.seal(user.totp_secret, user.id),
        "totp_enabled_at": user.totp_enabled_at,
        "failed_attempts": user.failed_attempts,
        "locked_until": user.locked_until,
        "disabled_at": user.disabled_at,
        "last_sign_in_at": user.last_sign_in_at,
    }


def _session(row: Row[Any]) -> ConsoleSession:
    m = row._mapping
    return ConsoleSession(
        id_hash=m["id_hash"],
        user_id=m["user_id"],
        csrf_token=m["csrf_token"],
        created_at=m["created_at"],
        last_seen_at=m["last_seen_at"],
        expires_at=m["expires_at"],
        ended_at=m["ended_at"],
    )


class SqlUserRepository:
    """Users, links and sessions stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session, sealer: SecretSealer) -> None:
        """Work in ``session``; authenticator secrets are sealed with ``sealer`` before they are written."""
        self._session = session
        self._sealer = sealer

    def add(self, user: User) -> None:
        """Insert ``user``; a taken e-mail address raises ``Conflict``."""
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(users).values(
                        id=user.id,
                        created_at=user.created_at,
                        updated_at=user.created_at,
                        **_values(user, self._sealer),
                    )
                )
        except IntegrityError as exc:
            raise Conflict(f"A user with the e-mail address {user.email} already exists.") from exc

    def save(self, user: User, at: datetime) -> None:
        """Store every field of an existing user."""
        self._session.execute(
            update(users).where(users.c.id == user.id).values(updated_at=at, **_values(user, self._sealer))
        )

    def by_id(self, user_id: str) -> User | None:
        """Return the user with this id, or ``None``."""
        row = self._session.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row, self._sealer) if row else None

    def by_email(self, email: str) -> User | None:
        """Return the user with this normalised e-mail address, or ``None``."""
        row = self._session.execute(select(users).where(users.c.email == email)).first()
        return _user(row, self._sealer) if row else None

    def all(self) -> list[User]:
        """Return every user, by display name."""
        rows = self._session.execute(select(users).order_by(users.c.display_name, users.c.email))
        return [_user(row, self._sealer) for row in rows]

    def add_link(self, link: OneTimeLink) -> None:
        """Store a one-time link by the hash of its token."""
        self._session.execute(
            insert(user_links).values(
                token_hash=link.token_hash,
                user_id=link.user_id,
                purpose=link.purpose.value,
                created_at=link.created_at,
                expires_at=link.expires_at,
                used_at=link.used_at,
            )
        )

    def link(self, token_hash: str) -> OneTimeLink | None:
        """Return the link with this token hash, or ``None``."""
        row = self._session.execute(select(user_links).where(user_links.c.token_hash == token_hash)).first()
        if row is None:
            return None
        m = row._mapping
        return OneTimeLink(
            token_hash=m["token_hash"],
            user_id=m["user_id"],
            purpose=LinkPurpose(m["purpose"]),
            created_at=m["created_at"],
            expires_at=m["expires_at"],
            used_at=m["used_at"],
        )

    def use_link(self, token_hash: str, at: datetime) -> bool:
        """Mark the link used, only if it was unused: two concurrent uses cannot both succeed."""
        result = self._session.execute(
            update(user_links)
            .where(user_links.c.token_hash == token_hash, user_links.c.used_at.is_(None))
            .values(used_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_session(self, session: ConsoleSession, *, ip: str | None, user_agent: str | None) -> None:
        """Store a new signed-in session."""
        self._session.execute(
            insert(console_sessions).values(
                id_hash=session.id_hash,
                user_id=session.user_id,
                csrf_token=session.csrf_token,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                expires_at=session.expires_at,
                ended_at=session.ended_at,
                ip=ip,
                user_agent=(user_agent or "")[:512] or None,
            )
        )

    def session(self, id_hash: str) -> ConsoleSession | None:
        """Return the session with this id hash, or ``None``."""
        row = self._session.execute(select(console_sessions).where(console_sessions.c.id_hash == id_hash)).first()
        return _session(row) if row else None

    def touch_session(self, id_hash: str, at: datetime) -> None:
        """Record that the session was used at ``at``."""
        self._session.execute(
            update(console_sessions).where(console_sessions.c.id_hash == id_hash).values(last_seen_at=at)
        )

    def end_session(self, id_hash: str, at: datetime) -> None:
        """End one session."""
        self._session.execute(
            update(console_sessions)
            .where(console_sessions.c.id_hash == id_hash, console_sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )

    def end_sessions_of(self, user_id: str, at: datetime) -> int:
        """End every live session of ``user_id``; return how many were ended."""
        result = self._session.execute(
            update(console_sessions)
            .where(console_sessions.c.user_id == user_id, console_sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
