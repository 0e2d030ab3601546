"""Managing the console's users: invite (a one-time link by e-mail), set a password, roles, disable.

Only an admin (``keys:manage``) manages users; the first admin is created from the command line
(``undersign users create-admin``), which acts as the system. Every change is audited, naming the
admin who made it. A disabled user's sessions end at once and their API keys stop working.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.actor import SYSTEM, Actor, ActorKind
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ports import AuditTrail, Clock, Mailer, OutgoingMail, PasswordHasher, UserRepository
from domain.roles import Permission, Role
from domain.users import (
    LinkPurpose,
    OneTimeLink,
    User,
    hash_link_token,
    new_link_token,
    normalise_email,
    parse_roles,
    validate_password,
    validate_person_text,
)


@dataclass(frozen=True)
class LinkRules:
    """Where one-time links point and how long they live."""

    link_base: str
    ttl: timedelta
    msp_name: str


@dataclass(frozen=True)
class IssuedLink:
    """A one-time link just issued: the user it is for and its URL (shown once, mailed once)."""

    user: User
    url: str


def user_actor(user: User, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
    """Return the actor a signed-in user acts as: their roles, and the person the audit trail names."""
    return Actor(
        name=user.email,
        kind=ActorKind.USER,
        roles=user.roles,
        user_id=user.id,
        display_name=user.display_name,
        title=user.title,
        email=user.email,
        ip=ip,
        user_agent=user_agent,
    )


class UserService:
    """Invite users, let them set a password through their link, change their roles, disable them."""

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        clock: Clock,
        audit: AuditTrail,
        mailer: Mailer,
        rules: LinkRules,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._clock = clock
        self._audit = audit
        self._mailer = mailer
        self._rules = rules

    def now(self) -> datetime:
        """Return the service's current time (pages show whether a lock is still in force)."""
        return self._clock.now()

    def everyone(self, *, by: Actor) -> list[User]:
        """Return every user (admins only)."""
        by.require(Permission.KEYS_MANAGE)
        return self._users.all()

    def get(self, user_id: str) -> User:
        """Return the user ``user_id``; raise ``NotFound``."""
        user = self._users.by_id(user_id)
        if user is None:
            raise NotFound("There is no such user.")
        return user

    def by_email(self, email: str) -> User:
        """Return the user with this normalised address; raise ``NotFound``."""
        user = self._users.by_email(email)
        if user is None:
            raise NotFound(f"There is no user {email}.")
        return user

    def invite(
        self, email: str, display_name: str, title: str, roles: list[str], *, by: Actor = SYSTEM, send: bool = True
    ) -> IssuedLink:
        """Create a user and issue their one-time link to set a password (mailed unless ``send`` is false)."""
        by.require(Permission.KEYS_MANAGE)
        user = User(
            id=str(uuid.uuid4()),
            email=normalise_email(email),
            display_name=validate_person_text("display_name", display_name, required=True),
            title=validate_person_text("title", title, required=False),
            roles=parse_roles(roles),
            created_at=self._clock.now(),
        )
        self._users.add(user)
        self._audit.record(
            by,
            "user.invited",
            {"user": user.id},
            payload={"email": user.email, "name": user.display_name, "roles": [r.value for r in user.roles]},
        )
        return self._issue(user, LinkPurpose.INVITE, by=by, send=send)

    def reissue_link(self, user_id: str, *, by: Actor) -> IssuedLink:
        """Issue a new one-time link for ``user_id`` (a lost invitation, or a forgotten password)."""
        by.require(Permission.KEYS_MANAGE)
        user = self.get(user_id)
        if not user.active:
            raise Conflict("The user is disabled: enable them before sending a new link.")
        purpose = LinkPurpose.RESET if user.has_password else LinkPurpose.INVITE
        return self._issue(user, purpose, by=by, send=True)

    def _issue(self, user: User, purpose: LinkPurpose, *, by: Actor, send: bool) -> IssuedLink:
        token = new_link_token()
        now = self._clock.now()
        self._users.add_link(
            OneTimeLink(
                token_hash=hash_link_token(token),
                user_id=user.id,
                purpose=purpose,
                created_at=now,
                expires_at=now + self._rules.ttl,
            )
        )
        url = f"{self._rules.link_base.rstrip('/')}/console/set-password/{token}"
        self._audit.record(by, "user.link_issued", {"user": user.id}, payload={"purpose": purpose.value})
        if send:
            self._mailer.send(self._link_mail(user, url, purpose))
        return IssuedLink(user=user, url=url)

    def _link_mail(self, user: User, url: str, purpose: LinkPurpose) -> OutgoingMail:
        hours = int(self._rules.ttl.total_seconds() // 3600)
        if purpose is LinkPurpose.INVITE:
            subject = f"You are invited to the {self._rules.msp_name} contracts console"
            opening = f"Hello {user.display_name},\n\nAn administrator has given you access to the contracts console."
        else:
            subject = f"Set a new password for the {self._rules.msp_name} contracts console"
            opening = f"Hello {user.display_name},\n\nAn administrator has sent you a link to set a new password."
        text = (
            f"{opening}\n\nChoose your password here (the link works once, for {hours} hours):\n{url}\n\n"
            "If you did not expect this message, you can ignore it.\n"
        )
        return OutgoingMail(to=(user.email,), subject=subject, text=text)

    def link_user(self, token: str) -> User:
        """Return whose usable link ``token`` is; raise ``NotFound`` for an unknown, used or expired link."""
        link = self._users.link(hash_link_token(token))
        if link is None or link.purpose not in (LinkPurpose.INVITE, LinkPurpose.RESET):
            raise NotFound("This link is not valid. Ask an administrator for a new one.")
        if not link.usable_at(self._clock.now()):
            raise NotFound("This link has been used or has expired. Ask an administrator for a new one.")
        user = self.get(link.user_id)
        if not user.active:
            raise NotFound("This account is disabled. Ask an administrator.")
        return user

    def set_password(self, token: str, password: str, confirm: str) -> User:
        """Set the password of the link's user and use the link up; their other sessions end."""
        user = self.link_user(token)
        if password != confirm:
            raise InvalidInput("The two passwords are not the same.")
        validate_password(password, email=user.email)
        now = self._clock.now()
        if not self._users.use_link(hash_link_token(token), now):
            raise NotFound("This link has been used already. Ask an administrator for a new one.")
        updated = replace(user, password_hash=self._hasher.hash(password), failed_attempts=0, locked_until=None)
        self._users.save(updated, now)
        self._users.end_sessions_of(user.id, now)
        self._audit.record(user_actor(updated), "user.password_set", {"user": user.id})
        return updated

    def change_roles(self, user_id: str, roles: list[str], *, by: Actor) -> User:
        """Give ``user_id`` exactly ``roles``; an admin cannot take the admin role from themselves."""
        by.require(Permission.KEYS_MANAGE)
        user = self.get(user_id)
        chosen = parse_roles(roles)
        if by.user_id == user.id and Role.ADMIN in user.roles and Role.ADMIN not in chosen:
            raise Conflict("You cannot remove your own admin role; ask another administrator.")
        updated = replace(user, roles=chosen)
        self._users.save(updated, self._clock.now())
        self._audit.record(
            by,
            "user.roles_changed",
            {"user": user.id},
            payload={"from": [r.value for r in user.roles], "to": [r.value for r in chosen]},
        )
        return updated

    def set_disabled(self, user_id: str, disabled: bool, *, by: Actor) -> User:
        """Disable (sessions end, keys stop working) or enable ``user_id``; nobody disables themselves."""
        by.require(Permission.KEYS_MANAGE)
        user = self.get(user_id)
        if disabled and by.user_id == user.id:
            raise Conflict("You cannot disable your own account.")
        now = self._clock.now()
        updated = replace(user, disabled_at=now if disabled else None)
        self._users.save(updated, now)
        if disabled:
            self._users.end_sessions_of(user.id, now)
        self._audit.record(by, "user.disabled" if disabled else "user.enabled", {"user": user.id})
        return updated
