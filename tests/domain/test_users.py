"""Users, roles and one-time links: the rules that hold without any database or HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actor import SYSTEM, Actor, ActorKind, audit_identity, payload_naming_person
from domain.errors import Forbidden, InvalidInput
from domain.roles import Permission, Role
from domain.users import (
    MAX_FAILED_ATTEMPTS,
    ConsoleSession,
    LinkPurpose,
    OneTimeLink,
    User,
    normalise_email,
    parse_roles,
    validate_password,
    validate_person_text,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LOCK = timedelta(minutes=15)


def user(**changes: object) -> User:
    """Return a stored user with ``changes`` applied."""
    base = User(id="u1", email="sam@msp.example", display_name="Sam", title="", roles=(Role.SALES,), created_at=NOW)
    return User(**{**base.__dict__, **changes})


class TestLockout:
    def test_the_fifth_failure_in_a_row_locks_for_the_given_time(self) -> None:
        """Four failures count up; the fifth locks until now + lock time and resets the count."""
        current = user()
        for count in range(1, MAX_FAILED_ATTEMPTS):
            current = current.after_failure(NOW, LOCK)
            assert current.failed_attempts == count and not current.locked_at(NOW)
        locked = current.after_failure(NOW, LOCK)
        assert locked.locked_at(NOW) and locked.locked_at(NOW + LOCK - timedelta(seconds=1))
        assert not locked.locked_at(NOW + LOCK)

    def test_a_success_clears_the_count(self) -> None:
        """A right password after four wrong ones starts the count again."""
        current = user(failed_attempts=4)
        assert current.after_success(NOW).failed_attempts == 0
        assert current.after_success(NOW).last_sign_in_at == NOW


class TestLinksAndSessions:
    def test_a_link_works_until_it_expires_or_is_used(self) -> None:
        """An unused link is usable before its expiry only."""
        link = OneTimeLink("h", "u1", LinkPurpose.INVITE, NOW, NOW + timedelta(hours=1))
        assert link.usable_at(NOW) and not link.usable_at(NOW + timedelta(hours=1))
        used = OneTimeLink("h", "u1", LinkPurpose.INVITE, NOW, NOW + timedelta(hours=1), used_at=NOW)
        assert not used.usable_at(NOW)

    def test_a_session_ends_when_idle_expired_or_ended(self) -> None:
        """A session lives while used, up to its absolute end, and not after sign-out."""
        session = ConsoleSession("h", "u1", "t", NOW, NOW, NOW + timedelta(hours=12))
        idle = timedelta(minutes=30)
        assert session.live_at(NOW + timedelta(minutes=29), idle)
        assert not session.live_at(NOW + timedelta(minutes=30), idle)
        busy = ConsoleSession("h", "u1", "t", NOW, NOW + timedelta(hours=12), NOW + timedelta(hours=12))
        assert not busy.live_at(NOW + timedelta(hours=12), idle)
        ended = ConsoleSession("h", "u1", "t", NOW, NOW, NOW + timedelta(hours=12), ended_at=NOW)
        assert not ended.live_at(NOW, idle)


class TestInputs:
    def test_addresses_are_one_plain_address_lower_cased(self) -> None:
        """Case does not make two users; display names and lists are refused."""
        assert normalise_email(" Sam@MSP.Example ") == "sam@msp.example"
        for bad in ("Sam <sam@msp.example>", "a@msp.example,b@msp.example", "nobody"):
            with pytest.raises(InvalidInput):
                normalise_email(bad)

    def test_roles_are_known_at_least_one_and_in_a_fixed_order(self) -> None:
        """Unknown roles and an empty choice are refused; duplicates fold."""
        assert parse_roles(["billing", "sales", "sales"]) == (Role.SALES, Role.BILLING)
        with pytest.raises(InvalidInput, match="not a role"):
            parse_roles(["root"])
        with pytest.raises(InvalidInput, match="at least one"):
            parse_roles([])

    def test_passwords_have_bounds_and_are_not_the_address(self) -> None:
        """Too short, too long, control characters or the address itself are refused."""
        assert validate_password("twelve chars", email="x@y.example") == "twelve chars"
        for bad in ("short", "x" * 129, "twelve\x00chars", "sam@msp.example"):
            with pytest.raises(InvalidInput):
                validate_password(bad, email="sam@msp.example")

    def test_names_are_single_lines_of_visible_text(self) -> None:
        """A name with a text-direction override or a line break is refused; an empty required name too."""
        assert validate_person_text("display_name", "  Zoë Ng ", required=True) == "Zoë Ng"
        for bad in ("Eve\u202eevil", "two\nlines", "  "):
            with pytest.raises(InvalidInput):
                validate_person_text("display_name", bad, required=True)


class TestActors:
    def test_a_user_with_several_roles_may_do_what_any_of_them_grants(self) -> None:
        """Sales + billing may write invoices and contracts; neither may manage keys."""
        actor = Actor(name="sam@msp.example", kind=ActorKind.USER, roles=(Role.SALES, Role.BILLING), user_id="u1")
        actor.require(Permission.INVOICES_WRITE)
        actor.require(Permission.CONTRACTS_WRITE)
        with pytest.raises(Forbidden, match="sales\\+billing"):
            actor.require(Permission.KEYS_MANAGE)
        assert actor.role is Role.SALES and actor.label == "user:sam@msp.example(sales+billing)"

    def test_a_user_without_roles_may_do_nothing(self) -> None:
        """Fails closed: no role, no permission."""
        with pytest.raises(Forbidden):
            Actor(name="x", kind=ActorKind.USER, user_id="u1").require(Permission.READ)

    def test_the_audit_names_the_person_behind_a_user_or_their_key(self) -> None:
        """A user is recorded by id with the person under ``by``; a plain key adds nothing."""
        person = Actor(
            name="sam-laptop", kind=ActorKind.KEY, roles=(Role.SALES,), user_id="u1", display_name="Sam", title="AM"
        )
        assert audit_identity(person) == ("api_key", "sam-laptop", "sales")
        assert payload_naming_person(person, {"x": 1}) == {
            "x": 1,
            "by": {"user_id": "u1", "name": "Sam", "title": "AM", "roles": ["sales"]},
        }
        signed_in = Actor(name="sam@msp.example", kind=ActorKind.USER, roles=(Role.SALES,), user_id="u1")
        assert audit_identity(signed_in) == ("user", "u1", "sales")
        plain = Actor(name="psa", role=Role.AUDITOR)
        assert payload_naming_person(plain, None) is None and payload_naming_person(SYSTEM, {"a": 1}) == {"a": 1}
