"""Migration 0009 recomputes stored client name keys so look-alike names are caught for old rows too."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from storage import migrator
from storage.database import make_engine
from storage.tables import clients

FULLWIDTH_ACME = "\uff21\uff23\uff2d\uff25 Ltd"


def _row(client_id: str, legal_name: str, jurisdiction: str) -> dict[str, object]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "id": client_id,
        "legal_name": legal_name,
        "legal_name_key": " ".join(legal_name.casefold().split()),  # the key as revision 0008 wrote it
        "short_name": "",
        "address": "",
        "jurisdiction": jurisdiction,
        "billing_email": "ap@acme.example",
        "contact_name": "Pat",
        "contact_title": "",
        "contact_email": "pat@acme.example",
        "notes": "",
        "created_at": now,
        "updated_at": now,
    }


class TestNameKeyMigration:
    def test_old_keys_are_folded_and_collisions_keep_their_old_key(self, database_url: str) -> None:
        """A fullwidth name gets the plain key; one that would collide with a stored client keeps its old key."""
        engine = make_engine(database_url)
        try:
            migrator.downgrade(engine, "0010")
            with engine.begin() as conn:
                conn.execute(insert(clients), [_row("c-fw-bc", FULLWIDTH_ACME, "CA-BC")])
                conn.execute(insert(clients), [_row("c-plain-on", "ACME Ltd", "CA-ON")])
                conn.execute(insert(clients), [_row("c-fw-on", FULLWIDTH_ACME, "CA-ON")])
            migrator.upgrade(engine)
            with engine.connect() as conn:
                rows = conn.execute(select(clients.c.id, clients.c.legal_name_key))
                keys = {row.id: row.legal_name_key for row in rows}
            assert keys["c-fw-bc"] == "acme ltd"
            assert keys["c-plain-on"] == "acme ltd"
            assert keys["c-fw-on"] == " ".join(FULLWIDTH_ACME.casefold().split())
            assert migrator.is_current(engine)
        finally:
            engine.dispose()
