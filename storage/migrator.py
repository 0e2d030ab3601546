"""Schema migrations: upgrade to the newest revision and tell whether a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from domain.ports.users import SecretSealer

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config(str(_MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head", *, secret_box: SecretSealer | None = None) -> None:
    """Apply every migration up to ``revision`` on ``engine``.

    ``secret_box`` seals secrets a migration finds stored in plain text (0017: authenticator secrets);
    without it such a migration refuses to run rather than leave them readable.
    """
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["secret_box"] = secret_box
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str, *, secret_box: SecretSealer | None = None) -> None:
    """Undo migrations down to ``revision`` on ``engine`` (tests of data migrations, operators rolling back)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["secret_box"] = secret_box
        command.downgrade(config, revision)


def head_revision() -> str | None:
    """Return the newest revision shipped with this code."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or ``None`` for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: Engine) -> bool:
    """Return whether the database is at the newest revision."""
    return current_revision(engine) == head_revision()
