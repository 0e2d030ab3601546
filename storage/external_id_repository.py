"""``SqlExternalIdRepository``: clients' ids in the PSA and the accounting package."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import Conflict
from domain.external_ids import ExternalSystem, external_key
from storage.tables_integrations import client_external_ids as ids_table


class SqlExternalIdRepository:
    """External ids stored with SQLAlchemy; it never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def for_client(self, client_id: str) -> dict[ExternalSystem, str]:
        """Return the client's ids by system."""
        rows = self._session.execute(
            select(ids_table.c.system, ids_table.c.external_id).where(ids_table.c.client_id == client_id)
        )
        return {ExternalSystem(system): value for system, value in rows}

    def replace(self, client_id: str, ids: list[tuple[ExternalSystem, str]], at: object) -> None:
        """Make ``ids`` the client's ids; an id another client holds raises ``Conflict``."""
        assert isinstance(at, datetime)
        try:
            with self._session.begin_nested():
                self._session.execute(delete(ids_table).where(ids_table.c.client_id == client_id))
                for system, value in ids:
                    self._session.execute(
                        insert(ids_table).values(
                            system=system.value,
                            external_id=value,
                            external_key=external_key(value),
                            client_id=client_id,
                            created_at=at,
                        )
                    )
        except IntegrityError as exc:
            raise Conflict("One of these ids already belongs to another client; each id names one client.") from exc

    def client_for(self, system: ExternalSystem, external_id: str) -> str | None:
        """Return the id of the client holding ``external_id`` in ``system``, or ``None``."""
        return self._session.execute(
            select(ids_table.c.client_id).where(
                ids_table.c.system == system.value, ids_table.c.external_key == external_key(external_id)
            )
        ).scalar_one_or_none()
