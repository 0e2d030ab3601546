"""`undersign dev` as a newcomer runs it: a relative data folder, a port from the settings, a clean stop.

The command runs as a real subprocess (the installed console script), with its embedded SeaweedFS,
SQLite and render workers, so what is checked is what a person at a terminal sees.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "undersign"
# Generous: the machine's two cores are shared with other tests; nothing here measures speed.
START_SECONDS = 240
STOP_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    """The environment of a fresh shell: no undersign settings but the ones a test sets."""
    return {k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")}


@dataclass
class DevServer:
    """A running `undersign dev` and where it listens."""

    process: subprocess.Popen[str]
    port: int
    folder: Path

    def get(self, path: str) -> tuple[int, bytes]:
        """GET ``path`` from the server."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def wait_ready(self) -> None:
        """Wait until /readyz answers 200, or fail with what the server printed."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        os.killpg(self.process.pid, signal.SIGKILL)
        out, err = self.process.communicate(timeout=STOP_SECONDS)
        pytest.fail(f"undersign dev did not become ready:\n{out}\n{err}")

    def weed_pid(self) -> int:
        """The pid of the embedded SeaweedFS, from the file it leaves in the data folder."""
        endpoint = json.loads((self.folder / "var" / "seaweedfs" / "endpoint.json").read_text())
        pid: int = endpoint["pid"]
        return pid

    def stop(self, sig: signal.Signals) -> tuple[int, str, str]:
        """Send ``sig`` to the process group (as a terminal's Ctrl+C does) and return (code, stdout, stderr)."""
        os.killpg(self.process.pid, sig)
        out, err = self.process.communicate(timeout=STOP_SECONDS)
        return self.process.returncode, out, err


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    """`undersign dev` started in an empty folder with its defaults, on a port given only through the settings."""
    port = _free_port()
    env = {**_clean_env(), "UNDERSIGN_SERVER__PORT": str(port)}
    process = subprocess.Popen(
        [str(SCRIPT), "dev"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell job
    )
    server = DevServer(process, port, tmp_path)
    yield server
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}/stat").exists() else ""
    return bool(stat) and stat.split(") ", 1)[1][0] != "Z"


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.xdist_group("dev-server")
class TestDevCommand:
    """The development server from a shell."""

    @pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
    def test_starts_on_defaults_and_stops_cleanly(self, dev_server: DevServer, sig: signal.Signals) -> None:
        """A relative data folder and the settings' port work; Ctrl+C or SIGTERM stops it all, with no traceback."""
        dev_server.wait_ready()
        status, body = dev_server.get("/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready"
        weed = dev_server.weed_pid()
        assert (dev_server.folder / "var" / "undersign.db").is_file()
        code, out, err = dev_server.stop(sig)
        assert "Traceback" not in err and "Traceback" not in out, err
        assert code == 0, err
        assert "Stopping the embedded SeaweedFS" in out
        assert _wait_gone(weed), "the embedded SeaweedFS outlived undersign dev"
        assert not (dev_server.folder / "var" / "seaweedfs" / "endpoint.json").exists()


@pytest.mark.xdist_group("dev-server")
class TestDevForwardedHeaders:
    """What the development server believes about where a request came from."""

    def test_forwarded_for_from_loopback_is_not_believed(self, dev_server: DevServer) -> None:
        """A forged X-Forwarded-For sent to `undersign dev` from 127.0.0.1 does not become the recorded IP."""
        dev_server.wait_ready()
        data = dev_server.folder / "var"
        created = subprocess.run(
            [str(SCRIPT), "keys", "create", "--name", "forger", "--role", "sales", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            env=_clean_env(),
            check=True,
        )
        key = created.stdout.strip().splitlines()[-1]
        body = json.dumps(
            {
                "legal_name": "Forwarded Ltd.",
                "short_name": "Forwarded",
                "address": "1 Road",
                "jurisdiction": "CA-BC",
                "billing_email": "ap@forwarded.example",
                "primary_contact": {"name": "A B", "title": "CEO", "email": "ab@forwarded.example"},
            }
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{dev_server.port}/v1/clients",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "X-Forwarded-For": "198.51.100.7",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - a loopback http URL
            assert response.status == 201
        with sqlite3.connect(data / "undersign.db") as db:
            ips = [row[0] for row in db.execute("SELECT ip FROM audit_events WHERE action = 'client.created'")]
        assert ips == ["127.0.0.1"], ips
        dev_server.stop(signal.SIGINT)


class TestCommandLine:
    """What every command shares: --version, one-line errors, --debug."""

    def test_version_is_printed(self) -> None:
        """`undersign --version` prints the installed version."""
        result = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, env=_clean_env())
        assert result.returncode == 0 and result.stdout.startswith("undersign 0."), result.stderr

    def test_an_error_is_one_line_and_debug_shows_the_traceback(self, tmp_path: Path) -> None:
        """A command that cannot work says why in one line; with --debug the traceback is shown."""
        command = [str(SCRIPT), "audit", "verify", "--data-dir", str(tmp_path / "data")]
        plain = subprocess.run(command, capture_output=True, text=True, env=_clean_env())
        assert plain.returncode == 1
        lines = plain.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: No object store is configured"), plain.stderr
        debug = subprocess.run(
            [*command[:1], "--debug", *command[1:]], capture_output=True, text=True, env=_clean_env()
        )
        assert debug.returncode != 0 and "Traceback" in debug.stderr
