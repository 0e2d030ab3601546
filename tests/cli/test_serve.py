"""``undersign serve --workers 2``: every worker starts once, warm, and none is killed at start.

uvicorn's supervisor kills a worker that does not answer its health ping in time. The workers load
the app from the light ``api.asgi`` and warm their render pool in the app's lifespan (before they
report started); the test starts the real command on a free port, waits for ``/readyz`` and for both
workers to finish start-up, and reads the log: no worker died or was replaced.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from adapters.seaweedfs import EmbeddedSeaweedFS
from storage.s3_blob_store import S3BlobStore

# Generous: two workers import the app and start render processes on a loaded 2-core machine.
WAIT = 300.0


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestServe:
    def test_two_workers_start_warm_and_none_is_killed(
        self, seaweed: EmbeddedSeaweedFS, blob_store: S3BlobStore, tmp_path: Path
    ) -> None:
        """`undersign serve --workers 2` answers /readyz; both workers complete start-up; the log shows no death."""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")},
            "UNDERSIGN_DATA_DIR": str(tmp_path / "data"),
            "UNDERSIGN_S3__ENDPOINT_URL": seaweed.endpoint_url,
            "UNDERSIGN_S3__ACCESS_KEY": seaweed.access_key,
            "UNDERSIGN_S3__SECRET_KEY": seaweed.secret_key,
            "UNDERSIGN_S3__REGION": seaweed.region,
            "UNDERSIGN_S3__BUCKET": blob_store.bucket,
            "UNDERSIGN_RENDER__WORKERS": "1",
            "UNDERSIGN_LOG__FORMAT": "console",
        }
        undersign = str(Path(sys.executable).with_name("undersign"))
        subprocess.run([undersign, "db", "upgrade"], env=env, check=True, capture_output=True)
        port, log = free_port(), tmp_path / "serve.log"
        server = subprocess.Popen(
            [undersign, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + WAIT
            ready = False
            while not ready or log.read_text(errors="replace").count("Application startup complete") < 2:
                assert server.poll() is None, f"serve exited ({server.returncode}):\n{log.read_text()}"
                assert time.monotonic() < deadline, f"serve did not get both workers ready:\n{log.read_text()}"
                if not ready:
                    with contextlib.suppress(httpx.HTTPError):
                        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
                time.sleep(0.5)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
        text = log.read_text(errors="replace")
        assert "Started parent process" in text  # the supervisor's own lines are in the log
        assert "died" not in text and "not ready in time" not in text and "failed to start" not in text, text
        assert text.count("Application startup complete") == 2, text  # two workers, each started once
