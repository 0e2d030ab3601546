"""The /v1/audit resource and the CLI: checkpoints, verification, event search, audited auditor reads."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import uuid
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner

from cli.main import app as cli_app
from domain.roles import Role
from tests.api.test_clients import client_body
from tests.conftest import Api
from tests.storage.audit_tampering import edit_row
from undersign.jobs import checkpoint_due
from undersign.runtime import Runtime
from undersign.settings import Settings

STANDALONE = Path(__file__).resolve().parents[2] / "tools" / "verify_audit_chain.py"


def make_clients(api: Api, count: int) -> list[str]:
    """Create ``count`` clients and return their ids."""
    ids = []
    for _ in range(count):
        name = f"Client {uuid.uuid4().hex[:8]} Ltd."
        response = api.post("/v1/clients", json=client_body(legal_name=name), role=Role.SALES)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def events(api: Api, query: str, role: Role = Role.ADMIN) -> dict[str, Any]:
    """GET /v1/audit/events?query as ``role``."""
    response = api.get(f"/v1/audit/events?{query}", role=role)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestCheckpointAndVerify:
    def test_checkpoint_then_verify_ok_and_edit_located(self, api: Api, runtime: Runtime) -> None:
        """Admin signs a checkpoint filed under Object Lock; verify says ok, then names an edited row."""
        make_clients(api, 2)
        created = api.post("/v1/audit/checkpoints")
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["object"]["retention_mode"] == "GOVERNANCE" and body["object"]["version_id"]
        verdict = api.get("/v1/audit/verify").json()
        assert verdict["ok"] is True and verdict["checkpoints_verified"] == 1
        edit_row(runtime.engine, 2)
        verdict = api.get("/v1/audit/verify").json()
        assert (verdict["ok"], verdict["kind"], verdict["first_bad_seq"]) == (False, "edited", 2)

    def test_only_admin_may_checkpoint(self, api: Api) -> None:
        """Every other role gets 403 for POST /v1/audit/checkpoints and nothing is filed."""
        make_clients(api, 1)
        for role in (Role.SALES, Role.TECH, Role.BILLING, Role.AUDITOR):
            assert api.post("/v1/audit/checkpoints", role=role).status_code == 403
        assert api.get("/v1/audit/checkpoints").json()["items"] == []

    def test_run_due_checkpoints_only_when_the_head_moved(self, api: Api, runtime: Runtime) -> None:
        """The run-due job signs and chains one head, then nothing while only its filing event followed."""
        make_clients(api, 1)
        assert checkpoint_due(runtime) == {"signed": 1}
        assert checkpoint_due(runtime) == {"signed": 0}
        assert checkpoint_due(runtime) == {"signed": 0}
        filed = events(api, "action=audit.checkpoint_filed")["items"]
        heads = api.get("/v1/audit/checkpoints").json()["items"]
        assert len(filed) == 1 and len(heads) == 1
        # The filing event (right after the head) names the filed object by the SHA-256 of the stored bytes.
        [head] = heads
        where = filed[0]["payload"]["object"]
        stored = runtime.blob_store.get(where["key"], where["version_id"])
        assert stored == head["signed"].encode() + b"\n"
        assert filed[0]["seq"] == head["seq"] + 1 and filed[0]["document_sha256"] == hashlib.sha256(stored).hexdigest()
        make_clients(api, 1)
        assert checkpoint_due(runtime) == {"signed": 1}
        assert checkpoint_due(runtime) == {"signed": 0}
        assert len(events(api, "action=audit.checkpoint_filed")["items"]) == 2
        later = [h["seq"] for h in api.get("/v1/audit/checkpoints").json()["items"]]
        assert later[0] == head["seq"] and later[1] > head["seq"] + 1 and len(later) == 2
        assert api.get("/v1/audit/verify").json()["ok"] is True

    def test_concurrent_run_due_sign_the_head_once(self, api: Api, runtime: Runtime) -> None:
        """Two run-due processes at once sign one checkpoint between them (the head is held while deciding)."""
        make_clients(api, 1)
        start = threading.Barrier(2)
        results: list[dict[str, int]] = []

        def run() -> None:
            start.wait(timeout=30)
            results.append(checkpoint_due(runtime))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(r["signed"] for r in results) == [0, 1]
        assert len(api.get("/v1/audit/checkpoints").json()["items"]) == 1


class TestCli:
    def test_audit_verify_command(self, api: Api, runtime: Runtime, settings: Settings, monkeypatch: Any) -> None:
        """`undersign audit verify` exits 0 on an intact chain and 1 naming the first bad seq after an edit."""
        make_clients(api, 2)
        env = {
            "UNDERSIGN_DATABASE__URL": settings.database_url,
            "UNDERSIGN_S3__ENDPOINT_URL": settings.s3.endpoint_url or "",
            "UNDERSIGN_S3__ACCESS_KEY": settings.s3.access_key.get_secret_value(),
            "UNDERSIGN_S3__SECRET_KEY": settings.s3.secret_key.get_secret_value(),
            "UNDERSIGN_S3__BUCKET": getattr(runtime.blob_store, "bucket", "undersign"),
        }
        runner = CliRunner()
        data_dir = ["--data-dir", str(settings.data_dir)]
        result = runner.invoke(cli_app, ["audit", "checkpoint", *data_dir], env=env)
        assert result.exit_code == 0, result.output
        result = runner.invoke(cli_app, ["audit", "verify", *data_dir], env=env)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("OK")
        edit_row(runtime.engine, 3)
        result = runner.invoke(cli_app, ["audit", "verify", *data_dir], env=env)
        assert result.exit_code == 1 and "edited at seq 3" in result.output

    def test_export_log_and_verify_log_on_a_real_chain(
        self, api: Api, runtime: Runtime, settings: Settings, tmp_path: Path
    ) -> None:
        """An exported log passes verify-log and the standalone verifier; one changed byte fails both."""
        make_clients(api, 3)
        env = {
            "UNDERSIGN_DATABASE__URL": settings.database_url,
            "UNDERSIGN_S3__ENDPOINT_URL": settings.s3.endpoint_url or "",
            "UNDERSIGN_S3__ACCESS_KEY": settings.s3.access_key.get_secret_value(),
            "UNDERSIGN_S3__SECRET_KEY": settings.s3.secret_key.get_secret_value(),
            "UNDERSIGN_S3__BUCKET": getattr(runtime.blob_store, "bucket", "undersign"),
        }
        runner = CliRunner()
        data_dir = ["--data-dir", str(settings.data_dir)]
        bundle = tmp_path / "log.zip"
        result = runner.invoke(cli_app, ["audit", "export-log", str(bundle), *data_dir], env=env)
        assert result.exit_code == 0, result.output
        again = runner.invoke(cli_app, ["audit", "export-log", str(bundle), *data_dir], env=env)
        assert again.exit_code == 1 and "already exists" in again.output
        fingerprint = hashlib.sha256(runtime.service_key.certificate.public_bytes(Encoding.DER)).hexdigest()
        result = runner.invoke(cli_app, ["audit", "verify-log", str(bundle), "--cert-sha256", fingerprint])
        assert result.exit_code == 0 and result.output.startswith("OK"), result.output
        standalone = subprocess.run(
            [sys.executable, str(STANDALONE), str(bundle), "--cert-sha256", fingerprint], capture_output=True, text=True
        )
        assert standalone.returncode == 0, standalone.stdout + standalone.stderr
        wrong_pin = runner.invoke(cli_app, ["audit", "verify-log", str(bundle), "--cert-sha256", "0" * 64])
        assert wrong_pin.exit_code == 1 and "not by the trusted" in wrong_pin.output

        with zipfile.ZipFile(bundle) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
        events = bytearray(files["events.jsonl"])
        at = events.index(b'"client.created"') + 2
        events[at] = ord("C")  # one changed byte inside the second client's event
        files["events.jsonl"] = bytes(events)
        tampered = tmp_path / "tampered.zip"
        with zipfile.ZipFile(tampered, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        result = runner.invoke(cli_app, ["audit", "verify-log", str(tampered)])
        assert result.exit_code == 1 and result.output.startswith("BROKEN"), result.output
        standalone = subprocess.run([sys.executable, str(STANDALONE), str(tampered)], capture_output=True, text=True)
        assert standalone.returncode == 1


class TestSearch:
    def test_filters_and_keyset_pages(self, api: Api) -> None:
        """Events filter by subject, actor and action; pages follow next_cursor without repeats or gaps."""
        ids = make_clients(api, 3)
        created = events(api, "action=client.created&actor=test-sales&limit=2")
        assert len(created["items"]) == 2 and created["next_cursor"]
        rest = events(api, f"action=client.created&actor=test-sales&limit=2&cursor={created['next_cursor']}")
        assert rest["next_cursor"] is None
        seen = [e["subjects"]["client"] for e in created["items"] + rest["items"]]
        assert seen == list(reversed(ids))
        one = events(api, f"subject=client:{ids[1]}")
        assert [e["action"] for e in one["items"]] == ["client.created"]
        assert one["items"][0]["payload"] is not None
        assert events(api, f"subject={ids[1]}&action=client.changed")["items"] == []

    def test_time_window_and_bad_cursor(self, api: Api) -> None:
        """from/to bound the window; a cursor that is not a seq is a 422."""
        make_clients(api, 1)
        assert events(api, "from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z")["items"] == []
        assert events(api, "from=2000-01-01T00:00:00Z")["items"]
        assert api.get("/v1/audit/events?cursor=abc").status_code == 422


class TestAuditorReads:
    def test_every_auditor_read_is_recorded_with_path_ids(self, api: Api) -> None:
        """An auditor's GET of a client appends auditor.read naming the client; other roles' reads do not."""
        (client_id,) = make_clients(api, 1)
        assert api.get(f"/v1/clients/{client_id}", role=Role.SALES).status_code == 200
        assert events(api, "action=auditor.read")["items"] == []
        assert api.get(f"/v1/clients/{client_id}", role=Role.AUDITOR).status_code == 200
        reads = events(api, "action=auditor.read")["items"]
        assert len(reads) == 1
        assert reads[0]["subjects"] == {"client": client_id}
        assert reads[0]["actor"] == {"id": "test-auditor", "kind": "api_key", "role": "auditor"}
        assert reads[0]["payload"]["route"] == "/v1/clients/{client_id}"
        # The auditor's own search is a read too, and the chain still verifies.
        events(api, "action=auditor.read", role=Role.AUDITOR)
        assert len(events(api, "action=auditor.read")["items"]) == 2
        assert api.get("/v1/audit/verify").json()["ok"] is True
