"""S3BlobStore against a real SeaweedFS: versions, checksums, Object Lock and error translation."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from adapters.seaweedfs import EmbeddedSeaweedFS
from domain.errors import Conflict, InvalidInput, NotFound, StoreUnavailable
from domain.ports import BlobStore, Retention
from storage.s3_blob_store import S3BlobStore, translate_s3_errors
from tests.support.seaweed import running_seaweed, store_on, unique_bucket

pytestmark = pytest.mark.s3

PDF = "application/pdf"


def _raw_client(server: EmbeddedSeaweedFS):  # type: ignore[no-untyped-def]
    """Return a plain boto3 client on ``server``, to set up states our store refuses to create."""
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
    )


class TestPutAndGet:
    def test_store_satisfies_the_port(self, blob_store: S3BlobStore) -> None:
        """S3BlobStore is usable wherever the BlobStore port is expected."""
        port: BlobStore = blob_store
        assert port.get(port.put("k", b"x", content_type=PDF).key) == b"x"

    def test_round_trip_records_version_and_sha256(self, blob_store: S3BlobStore) -> None:
        """A put returns bucket, key, version id, our SHA-256 and size; that version reads back exactly."""
        data = b"%PDF-1.7 contract body\n" * 100
        stored = blob_store.put("contracts/c1.pdf", data, content_type=PDF)
        assert stored.bucket == blob_store.bucket
        assert stored.key == "contracts/c1.pdf"
        assert stored.version_id
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert stored.size == len(data)
        assert blob_store.get("contracts/c1.pdf", stored.version_id) == data

    def test_overwrite_keeps_both_versions(self, blob_store: S3BlobStore) -> None:
        """Two writes to one key keep both versions, each readable exactly by its version id."""
        first = blob_store.put("letters/l.pdf", b"first draft", content_type=PDF)
        second = blob_store.put("letters/l.pdf", b"second draft", content_type=PDF)
        assert first.version_id != second.version_id
        assert blob_store.get("letters/l.pdf", first.version_id) == b"first draft"
        assert blob_store.get("letters/l.pdf", second.version_id) == b"second draft"
        assert blob_store.get("letters/l.pdf") == b"second draft"

    def test_stream_returns_the_exact_old_version_in_chunks(self, blob_store: S3BlobStore) -> None:
        """get_stream yields the chosen version in chunks that join to its exact bytes."""
        old = bytes(range(256)) * 41
        stored = blob_store.put("big.bin", old, content_type="application/octet-stream")
        blob_store.put("big.bin", b"newer", content_type="application/octet-stream")
        chunks = list(blob_store.get_stream("big.bin", stored.version_id, chunk_size=1000))
        assert len(chunks) == 11
        assert b"".join(chunks) == old

    def test_head_reports_size_hash_and_type(self, blob_store: S3BlobStore) -> None:
        """Head reports the stored size, the SHA-256 the store verified and the content type."""
        stored = blob_store.put("h.pdf", b"evidence", content_type=PDF)
        info = blob_store.head("h.pdf", stored.version_id)
        assert (info.version_id, info.size, info.sha256, info.content_type) == (
            stored.version_id,
            8,
            stored.sha256,
            PDF,
        )
        assert info.retention_mode is None
        assert info.legal_hold is False

    def test_missing_key_is_not_found(self, blob_store: S3BlobStore) -> None:
        """Reading a key that was never written raises NotFound (get, get_stream and head)."""
        with pytest.raises(NotFound):
            blob_store.get("nothing/here")
        with pytest.raises(NotFound):
            blob_store.get_stream("nothing/here")
        with pytest.raises(NotFound):
            blob_store.head("nothing/here")

    def test_missing_version_is_not_found(self, blob_store: S3BlobStore) -> None:
        """Reading an existing key at a version that does not exist raises NotFound."""
        blob_store.put("v.pdf", b"v", content_type=PDF)
        with pytest.raises(NotFound):
            blob_store.get("v.pdf", "0123456789abcdef0123456789abcdef")


class TestChecksum:
    def test_store_refuses_bytes_that_do_not_match_the_declared_sha256(self, blob_store: S3BlobStore) -> None:
        """A put whose declared SHA-256 is wrong is refused by the store and translated; nothing is stored."""
        wrong = base64.b64encode(hashlib.sha256(b"other bytes").digest()).decode()
        with (
            pytest.raises(StoreUnavailable, match="SHA-256"),
            translate_s3_errors("put", bucket=blob_store.bucket, key="tampered.pdf"),
        ):
            blob_store.client.put_object(
                Bucket=blob_store.bucket,
                Key="tampered.pdf",
                Body=b"the real bytes",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=wrong,
            )
        with pytest.raises(NotFound):
            blob_store.head("tampered.pdf")

    def test_store_keeps_the_checksum_we_computed(self, blob_store: S3BlobStore) -> None:
        """The SHA-256 the store holds for a version is the one we computed before sending."""
        data = b"signed copy"
        stored = blob_store.put("s.pdf", data, content_type=PDF)
        assert blob_store.head("s.pdf", stored.version_id).sha256 == hashlib.sha256(data).hexdigest()


class TestObjectLock:
    def test_compliance_retention_refuses_delete(self, blob_store: S3BlobStore) -> None:
        """A COMPLIANCE-retained version cannot be deleted (Conflict) and stays readable."""
        until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        stored = blob_store.put("sealed.pdf", b"sealed", content_type=PDF, retention=Retention("COMPLIANCE", until))
        info = blob_store.head("sealed.pdf", stored.version_id)
        assert info.retention_mode == "COMPLIANCE"
        assert info.retain_until == until
        with pytest.raises(Conflict, match="Object Lock"):
            blob_store.delete_version("sealed.pdf", stored.version_id)
        assert blob_store.get("sealed.pdf", stored.version_id) == b"sealed"

    def test_unlocked_version_can_be_deleted(self, blob_store: S3BlobStore) -> None:
        """Without retention or hold, delete_version removes the version (so the refusals are the lock's)."""
        stored = blob_store.put("draft.pdf", b"draft", content_type=PDF)
        blob_store.delete_version("draft.pdf", stored.version_id)
        with pytest.raises(NotFound):
            blob_store.get("draft.pdf", stored.version_id)

    def test_legal_hold_on_and_off(self, blob_store: S3BlobStore) -> None:
        """A legal hold shows in head and blocks deletion; once lifted, the version can be deleted."""
        stored = blob_store.put("held.pdf", b"held", content_type=PDF)
        blob_store.set_legal_hold("held.pdf", stored.version_id, on=True)
        assert blob_store.head("held.pdf", stored.version_id).legal_hold is True
        with pytest.raises(Conflict):
            blob_store.delete_version("held.pdf", stored.version_id)
        blob_store.set_legal_hold("held.pdf", stored.version_id, on=False)
        assert blob_store.head("held.pdf", stored.version_id).legal_hold is False
        blob_store.delete_version("held.pdf", stored.version_id)

    def test_legal_hold_set_at_put(self, blob_store: S3BlobStore) -> None:
        """A retention with legal_hold=True puts the hold on the new version."""
        until = datetime.now(UTC) + timedelta(days=1)
        stored = blob_store.put(
            "lh.pdf", b"x", content_type=PDF, retention=Retention("COMPLIANCE", until, legal_hold=True)
        )
        assert blob_store.head("lh.pdf", stored.version_id).legal_hold is True

    @pytest.mark.parametrize(
        "retention",
        [
            Retention("FOREVER", datetime(2099, 1, 1, tzinfo=UTC)),
            Retention("COMPLIANCE", datetime(2099, 1, 1)),  # a naive date: refused
        ],
    )
    def test_bad_retention_is_invalid_input(self, blob_store: S3BlobStore, retention: Retention) -> None:
        """An unknown lock mode or a naive retain-until date is rejected before anything is sent."""
        with pytest.raises(InvalidInput):
            blob_store.put("r.pdf", b"x", content_type=PDF, retention=retention)
        with pytest.raises(NotFound):
            blob_store.head("r.pdf")


class TestCredentials:
    def test_wrong_secret_is_unavailable_with_credentials_message(self, seaweed: EmbeddedSeaweedFS) -> None:
        """A wrong secret makes check() and put() raise StoreUnavailable saying the credentials are wrong."""
        store = store_on(seaweed, secret_key="not-the-secret")
        with pytest.raises(StoreUnavailable, match="credentials"):
            store.check()
        with pytest.raises(StoreUnavailable, match="credentials"):
            store.put("k", b"x", content_type=PDF)

    def test_unknown_access_key_is_unavailable_with_credentials_message(self, seaweed: EmbeddedSeaweedFS) -> None:
        """An unknown access key makes ensure_bucket() raise StoreUnavailable about the credentials."""
        store = store_on(seaweed, access_key="NOSUCHKEY")
        with pytest.raises(StoreUnavailable, match="credentials"):
            store.ensure_bucket()


class TestEnsureBucket:
    def test_creates_a_versioned_object_lock_bucket_once(self, seaweed: EmbeddedSeaweedFS) -> None:
        """ensure_bucket creates a bucket with versioning and Object Lock, and only verifies it afterwards."""
        store = store_on(seaweed)
        first = store.ensure_bucket()
        assert (first.created, first.versioning, first.object_lock) == (True, "Enabled", True)
        again = store.ensure_bucket()
        assert (again.created, again.versioning) == (False, "Enabled")
        store.check()

    def test_without_object_lock_creates_a_versioned_bucket(self, seaweed: EmbeddedSeaweedFS) -> None:
        """With object_lock=False the bucket is created plainly and versioning is switched on."""
        store = store_on(seaweed, object_lock=False)
        status = store.ensure_bucket()
        assert (status.created, status.versioning, status.object_lock) == (True, "Enabled", False)
        a = store.put("k", b"a", content_type=PDF)
        b = store.put("k", b"b", content_type=PDF)
        assert store.get("k", a.version_id) == b"a"
        assert store.get("k", b.version_id) == b"b"

    def test_refuses_a_bucket_without_versioning(self, seaweed: EmbeddedSeaweedFS) -> None:
        """An existing bucket that never had versioning is refused with its name and how to fix it."""
        bucket = unique_bucket("plain")
        _raw_client(seaweed).create_bucket(Bucket=bucket)
        store = store_on(seaweed, bucket)
        with pytest.raises(StoreUnavailable, match=rf"{bucket}.*versioning.*Status=Enabled"):
            store.ensure_bucket()
        with pytest.raises(StoreUnavailable, match="versioning"):
            store.check()

    def test_refuses_a_bucket_with_versioning_suspended(self, seaweed: EmbeddedSeaweedFS) -> None:
        """An existing bucket whose versioning was suspended is refused."""
        bucket = unique_bucket("susp")
        raw = _raw_client(seaweed)
        raw.create_bucket(Bucket=bucket)
        raw.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        raw.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
        with pytest.raises(StoreUnavailable, match="versioning Suspended"):
            store_on(seaweed, bucket).ensure_bucket()

    def test_check_on_missing_bucket_is_unavailable(self, seaweed: EmbeddedSeaweedFS) -> None:
        """check() on a bucket that does not exist raises StoreUnavailable naming it."""
        store = store_on(seaweed)
        with pytest.raises(StoreUnavailable, match=store.bucket):
            store.check()

    def test_short_bucket_name_is_invalid(self) -> None:
        """A bucket name under 3 characters is refused when the store is built."""
        with pytest.raises(InvalidInput):
            S3BlobStore(bucket="ab", endpoint_url="http://127.0.0.1:1")


class TestStoreDown:
    def test_stopped_store_is_unavailable_and_the_same_object_recovers(self, tmp_path: Path) -> None:
        """A stopped store raises StoreUnavailable; restarted on its data, the same store object works."""
        with running_seaweed(tmp_path) as server:
            store = store_on(server)
            store.ensure_bucket()
            before = store.put("kept.pdf", b"filed before the outage", content_type=PDF)
        with pytest.raises(StoreUnavailable):
            store.check()
        with pytest.raises(StoreUnavailable):
            store.put("lost.pdf", b"x", content_type=PDF)
        with pytest.raises(StoreUnavailable):
            store.get("kept.pdf", before.version_id)
        with running_seaweed(tmp_path):
            store.check()
            assert store.get("kept.pdf", before.version_id) == b"filed before the outage"
            after = store.put("new.pdf", b"filed after", content_type=PDF)
            assert store.get("new.pdf", after.version_id) == b"filed after"

    def test_unreachable_endpoint_is_unavailable(self) -> None:
        """A store whose endpoint refuses connections raises StoreUnavailable, never a botocore error."""
        store = S3BlobStore(bucket="nobody", endpoint_url="http://127.0.0.1:9", access_key="a", secret_key="b")
        with pytest.raises(StoreUnavailable, match="unreachable"):
            store.check()


class TestErrorTranslation:
    def test_client_errors_never_leak(self) -> None:
        """translate_s3_errors turns a ClientError into a domain error chained to the original."""
        error = ClientError({"Error": {"Code": "SlowDown", "Message": "reduce rate"}}, "PutObject")
        with (
            pytest.raises(StoreUnavailable, match="SlowDown") as caught,
            translate_s3_errors("put", bucket="b-1", key="k"),
        ):
            raise error
        assert caught.value.__cause__ is error

    def test_head_with_wrong_credentials_names_them(self, seaweed: EmbeddedSeaweedFS) -> None:
        """A HEAD refused without an error body (403) still says the credentials may be wrong."""
        store = store_on(seaweed, secret_key="not-the-secret")
        with pytest.raises(StoreUnavailable, match="credentials"):
            store.head("any.pdf")
