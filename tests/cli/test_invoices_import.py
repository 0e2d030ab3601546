"""`undersign invoices import`: good rows go in, bad rows are reported by line, a second import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.clock import SystemClock
from cli.context import cli_actor, database_session
from cli.main import app
from domain.clients import ClientDraft
from services.clients import ClientService
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from tests.api.test_clients import client_body
from undersign.settings import Settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite data dir (no database URL in the environment)."""
    monkeypatch.delenv("UNDERSIGN_DATABASE__URL", raising=False)
    folder = tmp_path / "data"
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(folder)]).exit_code == 0
    return folder


@pytest.fixture
def client_id(data_dir: Path) -> str:
    """A client stored in the data dir's database."""
    clock = SystemClock()
    with database_session(Settings(data_dir=data_dir)) as session:
        service = ClientService(SqlClientRepository(session), clock, SqlAuditTrail(session, clock))
        return service.create(cli_actor(), ClientDraft.model_validate(client_body())).id


def write_csv(path: Path, client_id: str) -> Path:
    """Write a CSV with three good rows and four bad ones (lines 3, 5, 6 and 8)."""
    path.write_text(
        "number,client_id,amount,currency,issued_on,due_on\n"
        f"INV-1,{client_id},1250.00,CAD,2026-10-01,2026-10-31\n"
        f"INV-2,{client_id},12.345,CAD,2026-10-01,2026-10-31\n"
        f"INV-3,{client_id},99.95,USD,2026-10-02,2026-11-01\n"
        f"INV-4,{client_id},10.00,CAD,2026-13-01,2026-10-31\n"
        "INV-5,no-such-client,10.00,CAD,2026-10-01,2026-10-31\n"
        f"INV-6,{client_id},500,JPY,2026-10-03,2026-11-02\n"
        f"INV-1,{client_id},999.00,CAD,2026-10-01,2026-10-31\n",
        encoding="utf-8",
    )
    return path


class TestImport:
    def test_good_rows_in_bad_rows_reported_and_reimport_changes_nothing(
        self, data_dir: Path, client_id: str, tmp_path: Path
    ) -> None:
        """Three rows import; lines 3, 5, 6 and 8 are reported with reasons; a second import adds nothing."""
        csv_file = write_csv(tmp_path / "invoices.csv", client_id)
        first = runner.invoke(app, ["invoices", "import", str(csv_file), "--data-dir", str(data_dir)])
        assert first.exit_code == 1, first.output
        assert "imported 3, unchanged 0, refused 4" in first.stdout
        reported = {line.split(":")[0] for line in first.stderr.splitlines() if line.startswith("line ")}
        assert reported == {"line 3", "line 5", "line 6", "line 8"}
        assert "decimal places" in first.stderr and "no such client" in first.stderr
        assert "other details" in first.stderr
        second = runner.invoke(app, ["invoices", "import", str(csv_file), "--data-dir", str(data_dir)])
        assert "imported 0, unchanged 3, refused 4" in second.stdout

    def test_missing_column_is_reported(self, data_dir: Path, tmp_path: Path) -> None:
        """A header without the amount column is reported on line 1 and nothing is imported."""
        bad = tmp_path / "bad.csv"
        bad.write_text("number,client_id,currency,issued_on,due_on\nINV-1,x,CAD,2026-10-01,2026-10-31\n")
        result = runner.invoke(app, ["invoices", "import", str(bad), "--data-dir", str(data_dir)])
        assert result.exit_code == 1
        assert "line 1: the header lacks the column(s): amount" in result.stderr

    def test_a_line_that_is_not_utf8_is_reported_and_the_others_go_in(
        self, data_dir: Path, client_id: str, tmp_path: Path
    ) -> None:
        """One Latin-1 row (line 3) is reported with the byte and column; the rows before and after it import."""
        mixed = tmp_path / "mixed.csv"
        mixed.write_bytes(
            b"\xef\xbb\xbfnumber,client_id,amount,currency,issued_on,due_on\n"
            + f"INV-10,{client_id},10.00,CAD,2026-10-01,2026-10-31\n".encode()
            + f"INV-\xe911,{client_id},11.00,CAD,2026-10-01,2026-10-31\n".encode("latin-1")
            + f"INV-12,{client_id},12.00,CAD,2026-10-01,2026-10-31\n".encode()
        )
        result = runner.invoke(app, ["invoices", "import", str(mixed), "--data-dir", str(data_dir)])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert "imported 2, unchanged 0, refused 1" in result.stdout
        assert "line 3: not UTF-8 text (byte 0xe9 at column 5)" in result.stderr
        fixed = tmp_path / "fixed.csv"  # the person corrects line 3 and imports the file again
        fixed.write_bytes(mixed.read_bytes().replace(b"INV-\xe911", b"INV-11"))
        again = runner.invoke(app, ["invoices", "import", str(fixed), "--data-dir", str(data_dir)])
        assert "imported 1, unchanged 2, refused 0" in again.stdout, again.output
