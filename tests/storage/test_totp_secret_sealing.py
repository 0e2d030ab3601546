"""Authenticator secrets are sealed in the users table, and migration 0017 seals those stored before it."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import insert, select

from adapters.secret_box import SecretBox, is_sealed
from domain.roles import Role
from domain.sealing.keys import generate_dev_pki
from services.sign_in import Where
from storage import migrator
from storage.database import make_engine, unit_of_work
from storage.tables_users import users
from tests.support.console import create_user
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory

WHERE = Where(ip="127.0.0.1", user_agent="pytest")


def _stored_secret(runtime: Runtime, user_id: str) -> str:
    with runtime.engine.connect() as conn:
        value: str = conn.execute(select(users.c.totp_secret).where(users.c.id == user_id)).scalar_one()
    return value


class TestSealedColumn:
    def test_enrolled_secret_is_never_stored_plain_and_codes_still_work(self, runtime: Runtime) -> None:
        """Setting up and turning on the app leaves only a sealed value in the column; its codes sign in."""
        user_id = create_user(runtime, "tess@msp.example", [Role.TECH])
        with unit_of_work(runtime.sessions) as session:
            factory = ServiceFactory(session, runtime)
            enrolment = factory.sign_in().start_totp(factory.users().get(user_id))
        secret = enrolment.secret
        stored = _stored_secret(runtime, user_id)
        assert is_sealed(stored) and secret not in stored
        with unit_of_work(runtime.sessions) as session:
            factory = ServiceFactory(session, runtime)
            code = pyotp.TOTP(secret).at(runtime.clock.now())
            factory.sign_in().confirm_totp(factory.users().get(user_id), code, WHERE)
        stored_after = _stored_secret(runtime, user_id)
        assert is_sealed(stored_after) and secret not in stored_after
        with unit_of_work(runtime.sessions) as session:
            user = ServiceFactory(session, runtime).users().get(user_id)
        assert user.totp_enabled and user.totp_secret == secret


class TestMigration0017:
    def test_plain_secrets_are_sealed_and_no_key_means_no_upgrade(self, database_url: str) -> None:
        """A plain secret from before 0017 is sealed by the upgrade; without the key the upgrade changes nothing."""
        key = generate_dev_pki(datetime(2026, 12, 1, tzinfo=UTC)).sealing_key()
        box = SecretBox(lambda: key)
        secret = pyotp.random_base32(32)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        engine = make_engine(database_url)
        try:
            migrator.downgrade(engine, "0016_task_queue", secret_box=box)
            with engine.begin() as conn:
                conn.execute(
                    insert(users).values(
                        id="u-old",
                        email="old@msp.example",
                        display_name="Old Enrolment",
                        title="",
                        roles=["tech"],
                        totp_secret=secret,
                        totp_enabled_at=now,
                        failed_attempts=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
            with pytest.raises(RuntimeError, match="needs the service key"):
                migrator.upgrade(engine)
            assert migrator.current_revision(engine) == "0016_task_queue"
            migrator.upgrade(engine, secret_box=box)
            with engine.connect() as conn:
                stored = conn.execute(select(users.c.totp_secret).where(users.c.id == "u-old")).scalar_one()
            assert is_sealed(stored) and secret not in stored
            assert box.open(stored, "u-old") == secret
            assert migrator.is_current(engine)
        finally:
            with engine.begin() as conn:
                conn.execute(users.delete().where(users.c.id == "u-old"))
            engine.dispose()
