"""``undersign dunning tasks``: the open phone calls a run left for the billing team."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.clock import SystemClock
from adapters.seaweedfs import EmbeddedSeaweedFS
from cli.context import cli_actor, database_session
from cli.main import app
from domain.clients import ClientDraft
from services.clients import ClientService
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from storage.s3_blob_store import S3BlobStore
from tests.api.test_clients import client_body
from undersign.settings import Settings

runner = CliRunner()


@pytest.fixture
def data_dir(
    database_url: str,
    seaweed: EmbeddedSeaweedFS,
    blob_store: S3BlobStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A data dir on the test's fresh database (both kinds) and the session's SeaweedFS (notices are filed there)."""
    monkeypatch.setenv("UNDERSIGN_DATABASE__URL", database_url)
    monkeypatch.setenv("UNDERSIGN_S3__ENDPOINT_URL", seaweed.endpoint_url)
    monkeypatch.setenv("UNDERSIGN_S3__ACCESS_KEY", seaweed.access_key)
    monkeypatch.setenv("UNDERSIGN_S3__SECRET_KEY", seaweed.secret_key)
    monkeypatch.setenv("UNDERSIGN_S3__REGION", seaweed.region)
    monkeypatch.setenv("UNDERSIGN_S3__BUCKET", blob_store.bucket)
    return tmp_path / "data"


def test_run_leaves_the_day_7_call_open_and_tasks_lists_it(data_dir: Path, tmp_path: Path) -> None:
    """A run seven days after the due date leaves call-1 open; ``dunning tasks`` lists it with invoice and amount."""
    clock = SystemClock()
    with database_session(Settings(data_dir=data_dir)) as session:
        service = ClientService(SqlClientRepository(session), clock, SqlAuditTrail(session, clock))
        client_id = service.create(cli_actor(), ClientDraft.model_validate(client_body())).id
    empty = runner.invoke(app, ["dunning", "tasks", "--data-dir", str(data_dir)])
    assert empty.exit_code == 0, empty.output
    assert "0 open phone task(s)" in empty.stdout
    today = date.today()
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "number,client_id,amount,currency,issued_on,due_on\n"
        f"CALL-1,{client_id},1250.00,CAD,{(today - timedelta(days=37)).isoformat()},"
        f"{(today - timedelta(days=7)).isoformat()}\n",
        encoding="utf-8",
    )
    imported = runner.invoke(app, ["invoices", "import", str(csv_file), "--data-dir", str(data_dir)])
    assert imported.exit_code == 0, imported.output
    ran = runner.invoke(app, ["dunning", "run", "--data-dir", str(data_dir)])
    assert ran.exit_code == 0, ran.output
    listed = runner.invoke(app, ["dunning", "tasks", "--data-dir", str(data_dir)])
    assert listed.exit_code == 0, listed.output
    assert "1 open phone task(s)" in listed.stdout
    row = next(line for line in listed.stdout.splitlines() if "CALL-1" in line)
    assert "call-1" in row and "1250.00" in row
