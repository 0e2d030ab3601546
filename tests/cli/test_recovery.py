"""Recovery after an object store outage: the stuck envelope says why, and the next ``run-due`` seals it.

The development store crashes (its ``weed`` process is killed, so ``endpoint.json`` is left naming a
dead pid) just as the last signer signs. The envelope must stay ``completing`` with a visible
``seal_error``. The operator then starts the store again with the same command line; ``undersign
run-due`` (no endpoint configured, as with ``make run``) must find that live store from the process
itself, not from the stale file, and seal the envelope. The sealed copy is checked with poppler's
``pdfsig``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from adapters.seaweedfs import EmbeddedSeaweedFS, read_running_endpoint
from adapters.seaweedfs_discovery import find_running_store
from api.app import create_app
from cli.main import app as cli
from domain.errors import StoreUnavailable
from domain.roles import Role
from services.api_keys import ApiKeyService
from storage import migrator
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.s3_blob_store import S3BlobStore
from tests.api.envelope_support import link_for, send_msa
from tests.api.test_error_pages import hidden_fields
from tests.conftest import Api
from tests.support.seaweed import require_weed_binary
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import build_runtime
from undersign.settings import Settings

DANA, SAM = "dana@northwind.example", "sam@msp.example"
# Generous: starting SeaweedFS on a loaded 2-core machine takes seconds; nothing here measures speed.
READY_TIMEOUT = 90.0


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback, where the signing links go."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedSeaweedFS]:
    """The embedded store of this test's data dir, as ``undersign dev`` starts it."""
    require_weed_binary()
    instance = EmbeddedSeaweedFS(tmp_path / "data")
    instance.start()
    yield instance
    instance.stop()


def open_sign_form(api: Api, smtp: LoopbackSmtpServer, email: str) -> tuple[str, dict[str, str]]:
    """Open the signer's e-mailed link, consent, and return the link and the sign form's hidden fields."""
    link = link_for(smtp, email)
    consent = {**hidden_fields(api.client.get(link).text, f"{link}/consent"), "agree": "yes"}
    assert api.client.post(f"{link}/consent", data=consent, follow_redirects=False).status_code == 303
    return link, hidden_fields(api.client.get(link).text, f"{link}/sign")


def sign(api: Api, link: str, hidden: dict[str, str], name: str) -> None:
    """Submit the sign form with a typed signature."""
    form = {**hidden, "full_name": name, "title": "Director", "attest": "yes", "method": "typed"}
    response = api.client.post(f"{link}/sign", data=form)
    assert response.status_code == 200, response.text


def crash(instance: EmbeddedSeaweedFS) -> list[str]:
    """Kill the store's processes as a crash would (no clean shutdown) and return its command line."""
    assert instance.pid is not None
    argv = [p.decode() for p in Path(f"/proc/{instance.pid}/cmdline").read_bytes().split(b"\0") if p]
    os.killpg(instance.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while find_running_store(instance.root.parent) is not None:
        assert time.monotonic() < deadline, "the killed store still shows as running"
        time.sleep(0.1)
    return argv


def wait_until_it_stores(blobs: S3BlobStore) -> None:
    """Wait until the restarted store accepts a write (its S3 port answers before its volume server)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            blobs.put("probe/after-restart", b"up", content_type="text/plain")
            return
        except StoreUnavailable:
            assert time.monotonic() < deadline, "the restarted store did not accept a write"
            time.sleep(0.5)


def pdfsig_valid(pdf: bytes, folder: Path) -> bool:
    """Tell whether poppler's ``pdfsig`` finds a valid signature covering the whole file."""
    path = folder / "sealed.pdf"
    path.write_bytes(pdf)
    home = folder / "home"
    home.mkdir(exist_ok=True)
    out = subprocess.run(
        ["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, env={"HOME": str(home)}, check=False
    )
    text = out.stdout + out.stderr
    return "Signature Validation: Signature is Valid." in text and "Total document signed" in text


class TestRecoveryAfterStoreOutage:
    def test_stuck_envelope_shows_its_error_and_run_due_seals_it_from_the_live_store(
        self,
        store: EmbeddedSeaweedFS,
        smtp: LoopbackSmtpServer,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A seal failing on a crashed store shows a seal_error; run-due finds the restarted store and seals."""
        data = tmp_path / "data"
        for name in ("UNDERSIGN_DATABASE__URL", "UNDERSIGN_S3__ENDPOINT_URL", "UNDERSIGN_MODE"):
            monkeypatch.delenv(name, raising=False)
        # The CLI below reads these, as a cron job on the dev machine would: same data dir, same relay.
        monkeypatch.setenv("UNDERSIGN_MAIL__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("UNDERSIGN_MAIL__SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("UNDERSIGN_MAIL__STARTTLS", "false")
        monkeypatch.setenv("UNDERSIGN_RENDER__WORKERS", "1")
        settings = Settings(data_dir=data)
        settings = settings.model_copy(
            update={
                "s3": settings.s3.model_copy(
                    update={
                        "endpoint_url": store.endpoint_url,
                        "access_key": SecretStr(store.access_key),
                        "secret_key": SecretStr(store.secret_key),
                    }
                )
            }
        )
        runtime = build_runtime(settings)
        # No worker runs here: the tasks a request enqueues (page images, the seal) run after its commit.
        runtime.run_tasks_inline = True
        migrator.upgrade(runtime.engine)
        runtime.ensure_bucket()
        restarted: subprocess.Popen[bytes] | None = None
        try:
            with unit_of_work(runtime.sessions) as session:
                service = ApiKeyService(
                    SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock)
                )
                keys = {role: service.create(f"t-{role.value}", role)[1] for role in Role}
            with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
                api = Api(client, keys)
                envelope = send_msa(api)
                link, hidden = open_sign_form(api, smtp, DANA)
                sign(api, link, hidden, "Dana Wu")
                sam_link, sam_hidden = open_sign_form(api, smtp, SAM)

                argv = crash(store)
                sign(api, sam_link, sam_hidden, "Sam Provider")  # completion runs after the answer, and fails
                stuck = api.get(f"/v1/envelopes/{envelope['id']}").json()
                assert stuck["status"] == "completing"
                assert stuck["seal_error"], "the envelope must say why it is not sealed"
                assert "envelope.seal_deferred" in [e["action"] for e in stuck["events"]]

                # The operator starts the store again by hand, with the same command line.
                log = (data / "seaweedfs" / "weed.log").open("ab")
                restarted = subprocess.Popen(
                    argv, cwd=data / "seaweedfs", stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
                log.close()
                wait_until_it_stores(runtime.blob_store)  # type: ignore[arg-type]
                assert read_running_endpoint(data) is None, "endpoint.json should be stale (dead pid) here"

                result = CliRunner().invoke(cli, ["run-due", "--data-dir", str(data)])
                assert result.exit_code == 0, result.output
                assert "sealed=1" in result.output

                done = api.get(f"/v1/envelopes/{envelope['id']}").json()
                assert done["status"] == "completed" and done["seal_error"] is None
                sealed = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf")
                assert sealed.status_code == 200
                assert pdfsig_valid(sealed.content, tmp_path)
        finally:
            if restarted is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(restarted.pid, signal.SIGTERM)
                try:
                    restarted.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(restarted.pid, signal.SIGKILL)
                    restarted.wait()
            close = getattr(runtime.renderer, "close", None)
            if close is not None:
                close()
            runtime.close()


class TestFindRunningStore:
    def test_finds_the_live_store_of_a_data_dir_and_only_that_one(
        self, store: EmbeddedSeaweedFS, tmp_path: Path
    ) -> None:
        """The live process of this data dir is found with its endpoint and credentials; another dir finds nothing."""
        found = find_running_store(tmp_path / "data")
        assert found is not None
        assert found.endpoint_url == store.endpoint_url and found.pid == store.pid
        assert (found.access_key, found.secret_key) == (store.access_key, store.secret_key)
        assert find_running_store(tmp_path / "elsewhere") is None

    def test_a_second_store_on_the_same_data_dir_is_refused_without_endpoint_file(
        self, store: EmbeddedSeaweedFS, tmp_path: Path
    ) -> None:
        """With endpoint.json gone, starting another store on the same data folder is still refused (no corruption)."""
        store.endpoint_file.unlink()
        second = EmbeddedSeaweedFS(tmp_path / "data")
        with pytest.raises(StoreUnavailable, match=f"pid {store.pid}"):
            second.start()
        assert store.running and not second.running
