"""Hostile input to the CLI: run dates that would mail the wrong letters, and CSV files in the wrong encoding."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from adapters.clock import SystemClock
from cli.context import cli_actor, database_session
from cli.main import app
from domain.clients import ClientDraft
from services.clients import ClientService
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from storage.tables import documents
from storage.tables_dunning import invoices
from tests.api.test_clients import client_body
from undersign.jobs import run_jobs
from undersign.runtime import Runtime
from undersign.settings import Settings

runner = CliRunner()


@pytest.fixture
def data_dir(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir whose database is the test's fresh SQLite or PostgreSQL database (each test runs on both)."""
    monkeypatch.setenv("UNDERSIGN_DATABASE__URL", database_url)
    return tmp_path / "data"


def count(folder: Path, table: str) -> int:
    """Return how many rows ``table`` holds in the data dir's database."""
    with database_session(Settings(data_dir=folder)) as session:
        target = {"documents": documents, "invoices": invoices}[table]
        return int(session.execute(select(func.count()).select_from(target)).scalar_one())


class TestDunningRunDate:
    @pytest.mark.parametrize(
        ("args", "words"),
        [
            (["--date", (date.today() + timedelta(days=2)).isoformat()], "future"),
            (["--date", (date.today() - timedelta(days=2)).isoformat()], "Add --backfill"),
            (["--backfill"], "past date only"),
            (["--date", "9999-12-31", "--dry-run"], "not usable"),
        ],
    )
    def test_wrong_day_is_one_clear_line_and_sends_nothing(self, data_dir: Path, args: list[str], words: str) -> None:
        """A future run, a past run without --backfill, or a date out of range: exit 2, one line, nothing issued."""
        before = count(data_dir, "documents")
        result = runner.invoke(app, ["dunning", "run", *args, "--data-dir", str(data_dir)])
        assert result.exit_code == 2, result.output
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.output and count(data_dir, "documents") == before


class TestCsvEncoding:
    def test_non_utf8_line_is_reported_and_the_others_imported(self, data_dir: Path, tmp_path: Path) -> None:
        """A Windows-1252 byte on one line is reported with its line and column; the other lines go in."""
        clock = SystemClock()
        with database_session(Settings(data_dir=data_dir)) as session:
            service = ClientService(SqlClientRepository(session), clock, SqlAuditTrail(session, clock))
            client_id = service.create(cli_actor(), ClientDraft.model_validate(client_body())).id
        today = date.today()
        issued, due = (today - timedelta(days=30)).isoformat(), today.isoformat()
        good = f",{client_id},1250.00,CAD,{issued},{due}\n".encode()
        csv_file = tmp_path / "export.csv"
        csv_file.write_bytes(
            b"\xef\xbb\xbfnumber,client_id,amount,currency,issued_on,due_on\n"
            + b"ENC-1"
            + good
            + b"ENC-\xe92"  # "ENC-é2" saved as Windows-1252
            + good
            + b"ENC-3"
            + good
        )
        before = count(data_dir, "invoices")
        result = runner.invoke(app, ["invoices", "import", str(csv_file), "--data-dir", str(data_dir)])
        assert result.exit_code == 1, result.output
        assert "imported 2, unchanged 0, refused 1" in result.stdout
        assert "line 3: not UTF-8 text (byte 0xe9 at column 5)" in result.stderr, result.stderr
        assert "Traceback" not in result.output and count(data_dir, "invoices") == before + 2


class TestRunDueKeepsGoing:
    def test_a_failing_job_does_not_stop_the_jobs_after_it(self) -> None:
        """When one due job raises, the next ones (the audit checkpoint last of all) still run and are reported."""
        ran: list[str] = []

        def broken(_runtime: Runtime) -> dict[str, int]:
            ran.append("broken")
            raise OverflowError("date value out of range")

        def checkpoint(_runtime: Runtime) -> dict[str, int]:
            ran.append("audit-checkpoint")
            return {"signed": 1}

        results = run_jobs(cast(Runtime, None), [("dunning", broken), ("audit-checkpoint", checkpoint)])
        assert ran == ["broken", "audit-checkpoint"]
        assert results == {"dunning": {"job_failed": 1}, "audit-checkpoint": {"signed": 1}}
