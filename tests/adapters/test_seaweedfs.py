"""EmbeddedSeaweedFS: a real ``weed server`` with generated, enforced credentials on free loopback ports."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from adapters.seaweedfs import EmbeddedSeaweedFS, SeaweedEndpoint, read_running_endpoint
from domain.errors import StoreUnavailable
from tests.support.seaweed import require_weed_binary, running_seaweed, store_on

pytestmark = pytest.mark.s3


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class TestRunningInstance:
    def test_credentials_are_enforced(self, seaweed: EmbeddedSeaweedFS) -> None:
        """The generated credentials work and a wrong secret is refused by the server itself."""
        good = boto3.client(
            "s3",
            endpoint_url=seaweed.endpoint_url,
            region_name=seaweed.region,
            aws_access_key_id=seaweed.access_key,
            aws_secret_access_key=seaweed.secret_key,
        )
        good.list_buckets()
        bad = boto3.client(
            "s3",
            endpoint_url=seaweed.endpoint_url,
            region_name=seaweed.region,
            aws_access_key_id=seaweed.access_key,
            aws_secret_access_key=seaweed.secret_key + "x",
        )
        with pytest.raises(ClientError) as caught:
            bad.list_buckets()
        assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"

    def test_secret_files_are_private(self, seaweed: EmbeddedSeaweedFS) -> None:
        """identities.json and endpoint.json hold the secret and are readable by the owner only."""
        for path in (seaweed.identities_file, seaweed.endpoint_file):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_identities_file_has_the_seaweedfs_format(self, seaweed: EmbeddedSeaweedFS) -> None:
        """identities.json holds one identity with the generated key pair in SeaweedFS's s3 config format."""
        config = json.loads(seaweed.identities_file.read_text())
        (identity,) = config["identities"]
        assert identity["credentials"] == [{"accessKey": seaweed.access_key, "secretKey": seaweed.secret_key}]
        assert "Admin" in identity["actions"]

    def test_endpoint_file_advertises_the_running_instance(self, seaweed: EmbeddedSeaweedFS) -> None:
        """endpoint.json names the endpoint, credentials and pid, and read_running_endpoint returns them."""
        found = read_running_endpoint(seaweed.root.parent)
        assert found == seaweed.endpoint()
        assert found is not None
        assert found.pid == seaweed.pid

    def test_grpc_ports_are_http_ports_plus_10000(self, seaweed: EmbeddedSeaweedFS) -> None:
        """Each server listens on its HTTP port and on that port + 10000 (gRPC), all on loopback."""
        ports = json.loads((seaweed.root / "ports.json").read_text())
        assert set(ports) == {"s3", "master", "volume", "filer"}
        for port in ports.values():
            assert _listening(port)
            assert _listening(port + 10000)

    def test_data_and_log_live_under_the_data_dir(self, seaweed: EmbeddedSeaweedFS) -> None:
        """The server keeps its data and its log under <data_dir>/seaweedfs/."""
        assert seaweed.root.name == "seaweedfs"
        assert seaweed.log_path.parent == seaweed.root
        assert seaweed.log_path.stat().st_size > 0
        assert any((seaweed.root / "data").iterdir())

    def test_second_start_on_the_same_data_dir_is_refused(self, seaweed: EmbeddedSeaweedFS) -> None:
        """Starting another instance on a data dir whose instance runs is refused, naming the running one."""
        with pytest.raises(StoreUnavailable, match="already runs"):
            EmbeddedSeaweedFS(seaweed.root.parent).start()


class TestLifecycle:
    def test_stop_and_restart_keep_credentials_endpoint_and_data(self, tmp_path: Path) -> None:
        """Stop ends the process and drops endpoint.json; a restart reuses credentials, endpoint and data."""
        with running_seaweed(tmp_path) as first:
            store = store_on(first)
            store.ensure_bucket()
            stored = store.put("k.pdf", b"kept across restarts", content_type="application/pdf")
            identity = (first.endpoint_url, first.access_key, first.secret_key)
            pid = first.pid
            assert pid is not None
            assert first.endpoint_file.exists()
        assert not first.running
        assert not _pid_exists(pid)
        assert not first.endpoint_file.exists()
        assert read_running_endpoint(tmp_path) is None
        with EmbeddedSeaweedFS(tmp_path, weed_binary=require_weed_binary()) as second:
            assert (second.endpoint_url, second.access_key, second.secret_key) == identity
            assert store.get("k.pdf", stored.version_id) == b"kept across restarts"
        assert not second.running

    def test_stale_endpoint_file_is_ignored(self, tmp_path: Path) -> None:
        """An endpoint.json left by a dead process does not count as a running instance."""
        root = tmp_path / "seaweedfs"
        root.mkdir()
        stale = SeaweedEndpoint("http://127.0.0.1:1", "us-east-1", "a", "b", pid=2**22 + 12345)
        (root / "endpoint.json").write_text(json.dumps(stale.__dict__))
        assert read_running_endpoint(tmp_path) is None


class TestStartupFailures:
    def test_a_server_that_exits_reports_its_log_tail(self, tmp_path: Path) -> None:
        """When the binary exits while starting, the error carries its exit status and the tail of its log."""
        fake = tmp_path / "weed"
        fake.write_text("#!/bin/sh\necho 'fatal: disk on fire' >&2\nexit 3\n")
        fake.chmod(0o755)
        server = EmbeddedSeaweedFS(tmp_path / "data", weed_binary=fake, startup_timeout=30)
        with pytest.raises(StoreUnavailable, match=r"(?s)status 3.*disk on fire"):
            server.start()
        assert not server.running
        assert not server.endpoint_file.exists()

    def test_a_missing_binary_is_reported(self, tmp_path: Path) -> None:
        """A weed binary path that does not exist raises StoreUnavailable naming it."""
        server = EmbeddedSeaweedFS(tmp_path, weed_binary=tmp_path / "no-weed")
        with pytest.raises(StoreUnavailable, match="no-weed"):
            server.start()
