"""``undersign worker`` on PostgreSQL: a worker killed with SIGKILL in the middle of a seal leaves one sealed copy.

The signing request only records the last signature and enqueues the seal (a procrastinate job, in
the same transaction). A real worker process takes the job, seals, files the sealed copy in the
object store and is then held by the testing hook (``UNDERSIGN_TASKS__PAUSE_AFTER_SEAL_FILE``) before it
records the copy. It is killed there with SIGKILL: its transaction dies with it. A second worker
notices the dead worker's job (no heartbeat), runs it again, finds the sealed copy already filed under
the envelope's key and records that one: one copy in the store, one row in the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select, text

from adapters.renderers import PooledRenderer
from adapters.seaweedfs import EmbeddedSeaweedFS
from api.app import create_app
from storage.database import make_engine
from storage.s3_blob_store import S3BlobStore
from storage.tables import signed_documents
from storage.tables_envelopes import envelopes
from tests.api.envelope_support import link_for, send_msa
from tests.api.test_envelopes import (
    sign_as,
    smtp,  # noqa: F401 - fixture reused by name
)
from tests.conftest import Api, keys_for
from tests.support.databases import truncate_all
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime, build_runtime
from undersign.settings import Settings
from undersign.task_worker import drain

CLIENT, MSP = "dana@northwind.example", "sam@msp.example"
# Generous: a worker process starts (imports, sealing key, pools) on a loaded 2-core machine.
WAIT = 180.0


@pytest.fixture
def pg_runtime(
    postgres_url: str,
    seaweed: EmbeddedSeaweedFS,
    blob_store: S3BlobStore,
    smtp: LoopbackSmtpServer,  # noqa: F811
    renderer: PooledRenderer,
    tmp_path: Path,
) -> Iterator[Runtime]:
    """A runtime on PostgreSQL (this test is about procrastinate) whose tasks only a worker process runs."""
    settings = Settings(
        data_dir=tmp_path / "api-data",
        database={"url": postgres_url},
        s3={
            "endpoint_url": seaweed.endpoint_url,
            "access_key": SecretStr(seaweed.access_key),
            "secret_key": SecretStr(seaweed.secret_key),
            "region": seaweed.region,
            "bucket": blob_store.bucket,
        },
        mail={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False},
        render={"timeout_seconds": 300},
    )
    runtime = build_runtime(settings, blob_store=blob_store, renderer=renderer)
    yield runtime
    runtime.close()
    engine = make_engine(postgres_url)
    truncate_all(engine)
    engine.dispose()


def api_over(runtime: Runtime) -> Api:
    """Return a test client over ``runtime`` with a key for every role."""
    return Api(TestClient(create_app(runtime), raise_server_exceptions=False), keys_for(runtime))


def start_worker(runtime: Runtime, data: Path, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """Start ``undersign worker`` as its own process on the runtime's database, store and relay."""
    settings = runtime.settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")},
        "UNDERSIGN_DATA_DIR": str(data),
        "UNDERSIGN_DATABASE__URL": settings.database_url,
        "UNDERSIGN_S3__ENDPOINT_URL": str(settings.s3.endpoint_url),
        "UNDERSIGN_S3__ACCESS_KEY": settings.s3.access_key.get_secret_value(),
        "UNDERSIGN_S3__SECRET_KEY": settings.s3.secret_key.get_secret_value(),
        "UNDERSIGN_S3__BUCKET": settings.s3.bucket,
        "UNDERSIGN_S3__REGION": settings.s3.region,
        "UNDERSIGN_MAIL__SMTP_HOST": "127.0.0.1",
        "UNDERSIGN_MAIL__SMTP_PORT": str(settings.mail.smtp_port),
        "UNDERSIGN_MAIL__STARTTLS": "false",
        "UNDERSIGN_RENDER__WORKERS": "1",
        "UNDERSIGN_TASKS__STALLED_AFTER_SECONDS": "2",
        "UNDERSIGN_TASKS__HEARTBEAT_SECONDS": "0.5",
        "UNDERSIGN_TASKS__POLL_SECONDS": "0.5",
        **extra,
    }
    command = [str(Path(sys.executable).with_name("undersign")), "worker"]
    return subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def envelope_status(runtime: Runtime, envelope_id: str) -> str:
    """Return the stored status of an envelope."""
    with runtime.engine.connect() as conn:
        return str(conn.execute(select(envelopes.c.status).where(envelopes.c.id == envelope_id)).scalar_one())


def sealed_rows(runtime: Runtime, envelope_id: str) -> int:
    """Return how many sealed copies the database records for an envelope."""
    with runtime.engine.connect() as conn:
        query = select(func.count()).select_from(signed_documents).where(signed_documents.c.envelope_id == envelope_id)
        return int(conn.execute(query).scalar_one())


def wait_for(what: str, check: object, worker: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``check()`` is true; fail with the worker's log if it exits or time runs out."""
    deadline = time.monotonic() + WAIT
    while not check():  # type: ignore[operator]
        assert worker.poll() is None, f"the worker exited ({worker.returncode}) before {what}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{log.read_text()}"
        time.sleep(0.2)


class TestWorkerKilledMidSeal:
    def test_sigkill_between_filing_and_recording_leaves_exactly_one_sealed_copy(
        self,
        pg_runtime: Runtime,
        blob_store: S3BlobStore,
        smtp: LoopbackSmtpServer,  # noqa: F811
        tmp_path: Path,
    ) -> None:
        """A worker killed after filing the seal and before recording it: after a restart, one copy in store and DB."""
        api = api_over(pg_runtime)
        envelope = send_msa(api)
        # The page images are a task of their own: one worker pass renders them before anyone can sign.
        drain(pg_runtime)
        assert sign_as(api, link_for(smtp, CLIENT)).status_code == 200
        assert sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director").status_code == 200
        # The request recorded the signature and queued the seal in the same transaction; nothing was sealed.
        assert envelope_status(pg_runtime, envelope["id"]) == "completing"
        with pg_runtime.engine.connect() as conn:
            jobs = conn.execute(
                text("SELECT task_name, args, status FROM procrastinate_jobs WHERE status = 'todo'")
            ).all()
        assert [(j.task_name, j.args, j.status) for j in jobs] == [
            ("complete-envelope", {"envelope_id": envelope["id"]}, "todo")
        ]

        data, log, gate = tmp_path / "worker-data", tmp_path / "worker.log", tmp_path / "gate"
        reached = gate.with_name("gate.reached")
        first = start_worker(pg_runtime, data, log, UNDERSIGN_TASKS__PAUSE_AFTER_SEAL_FILE=str(gate))
        try:
            wait_for("the seal to be filed", reached.exists, first, log)
            assert reached.read_text() == envelope["id"]
            key = f"signed/{envelope['client_id']}/{envelope['document_id']}/v1/{envelope['id']}.pdf"
            filed = blob_store.versions(key)
            assert len(filed) == 1  # sealed and filed, not yet recorded
            os.kill(first.pid, signal.SIGKILL)
            first.wait(30)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL
        assert envelope_status(pg_runtime, envelope["id"]) == "completing"
        assert sealed_rows(pg_runtime, envelope["id"]) == 0

        second = start_worker(pg_runtime, data, log)
        try:
            wait_for(
                "the restarted worker to complete",
                lambda: envelope_status(pg_runtime, envelope["id"]) == "completed",
                second,
                log,
            )
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(60)
            except subprocess.TimeoutExpired:
                second.kill()
        assert blob_store.versions(key) == filed  # no second sealed copy was filed
        assert sealed_rows(pg_runtime, envelope["id"]) == 1
        with pg_runtime.engine.connect() as conn:
            row = conn.execute(select(signed_documents).where(signed_documents.c.envelope_id == envelope["id"])).one()
        assert row.sealed_version_id == filed[0]
        sealed = blob_store.get(key, filed[0])
        sent = api.get(f"/v1/documents/{envelope['document_id']}/versions/1/file.pdf").content
        assert sealed.startswith(sent)  # the recorded copy is the sealed copy of what was sent
