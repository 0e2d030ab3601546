"""``S3BlobStore``: the ``BlobStore`` port over boto3, for any S3 (AWS, MinIO, Ceph, SeaweedFS).

Evidence rules this module enforces:

* The bucket is versioned (and, when asked, created with Object Lock): an overwrite never destroys the
  copy a signer saw, and every write is addressed afterwards by its version id.
* Every put carries the SHA-256 *we* computed (``x-amz-checksum-sha256``), so the store refuses bytes
  that changed on the way, and the recorded hash is the one of the bytes we meant to file.
* Reads of a specific version are checked against the stored SHA-256 before they are returned.

All botocore/boto3 failures are translated here into ``domain.errors`` (see
``translate_s3_errors``); no library exception leaves this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError

from domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    StoreMisconfigured,
    StoreUnavailable,
    UndersignError,
)
from domain.ports import Retention, StoredBlob

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_LOCK_MODES = frozenset({"COMPLIANCE", "GOVERNANCE"})
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})
_CREDENTIAL_CODES = frozenset(
    {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken", "InvalidSecurity"}
)
_DIGEST_CODES = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"})
# Codes meaning the store would not accept Object Lock on a new bucket (then: plain bucket + versioning).
_NO_OBJECT_LOCK_CODES = frozenset(
    {"InvalidRequest", "InvalidArgument", "NotImplemented", "InvalidBucketState", "MalformedXML"}
)
_STREAM_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BlobInfo:
    """What the store says about one version, for evidence: size, hash and lock state."""

    key: str
    version_id: str
    size: int
    sha256: str | None
    content_type: str | None
    last_modified: datetime | None
    retention_mode: str | None
    retain_until: datetime | None
    legal_hold: bool


@dataclass(frozen=True)
class BucketStatus:
    """The result of ``ensure_bucket``: whether it was created and how it is protected."""

    bucket: str
    created: bool
    versioning: str
    object_lock: bool


def _b64_to_hex(value: str | None) -> str | None:
    """Turn an ``x-amz-checksum-sha256`` header (base64) into the hex digest we record."""
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _error_code(exc: ClientError) -> tuple[str, str, int]:
    error = exc.response.get("Error", {})
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return str(error.get("Code", "")), str(error.get("Message", "")), status


def translate_s3_error(
    exc: BaseException,
    *,
    action: str,
    bucket: str,
    key: str | None = None,
    version_id: str | None = None,
) -> UndersignError:
    """Return the domain error for a botocore/boto3 failure during ``action`` on bucket/key/version."""
    target = f"s3://{bucket}/{key}" if key else f"bucket {bucket!r}"
    if version_id:
        target += f" (version {version_id})"
    if isinstance(exc, NoCredentialsError):
        return StoreUnavailable(f"object store: no credentials configured for {action} on {target}")
    if isinstance(exc, ParamValidationError):
        return InvalidInput(f"object store: invalid request for {action} on {target}: {exc}")
    if isinstance(exc, BotoCoreError):
        # Connection refused, timeouts, dropped connections, checksum mismatch on a read.
        return StoreUnavailable(f"object store unreachable or failing during {action} on {target}: {exc}")
    if not isinstance(exc, ClientError):
        return StoreUnavailable(f"object store failed during {action} on {target}: {exc}")
    code, message, status = _error_code(exc)
    detail = f"{code or status}: {message}" if message else (code or str(status))
    if code in _CREDENTIAL_CODES:
        return StoreUnavailable(
            f"object store rejected our credentials ({code}) during {action} on {target}: the access key "
            "or secret key is wrong; check the configured S3 credentials"
        )
    if code in _DIGEST_CODES:
        return StoreUnavailable(
            f"object store refused {action} on {target}: the SHA-256 of the bytes it received does not "
            f"match the checksum we computed ({detail}); nothing was stored, retry"
        )
    if code == "NoSuchBucket":
        return StoreUnavailable(
            f"object store: bucket {bucket!r} does not exist ({action}); create it (ensure_bucket) first"
        )
    if code in _NOT_FOUND_CODES or (status == 404 and key is not None):
        return NotFound(f"object {target} not found in the object store")
    if code == "InvalidArgument" and version_id and "version" in message.lower():
        return NotFound(f"object {target} not found in the object store ({detail})")
    if code == "AccessDenied" and action == "delete":
        # Under Object Lock a compliance-retained or legally held version cannot be deleted by anyone:
        # that is the evidence guarantee working, reported as a state conflict.
        return Conflict(
            f"the object store refused to delete {target}: the version is protected by Object Lock "
            "(retention or legal hold) or the credentials may not delete versions"
        )
    if code == "403":
        # A HEAD request: the store gives no error code, only the status.
        return StoreUnavailable(
            f"object store refused {action} on {target} (403 Forbidden): the credentials are wrong or lack permission"
        )
    if code == "AccessDenied":
        return StoreUnavailable(
            f"object store denied {action} on {target} (AccessDenied): the credentials lack permission"
        )
    return StoreUnavailable(f"object store failed during {action} on {target} ({detail})")


@contextmanager
def translate_s3_errors(
    action: str, *, bucket: str, key: str | None = None, version_id: str | None = None
) -> Iterator[None]:
    """Run a block of boto3 calls, re-raising any botocore failure as the matching domain error."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise translate_s3_error(exc, action=action, bucket=bucket, key=key, version_id=version_id) from exc


class S3BlobStore:
    """A versioned, checksummed, optionally Object-Locked bucket behind the ``BlobStore`` port."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        path_style: bool = True,
        object_lock: bool = True,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        max_attempts: int = 2,
    ) -> None:
        if len(bucket) < 3:
            raise InvalidInput(f"bucket name {bucket!r} is too short: S3 bucket names need 3+ characters")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.object_lock = object_lock
        # Short timeouts and one retry: a store that is down must fail a request within seconds (503)
        # rather than hang a worker.
        config = Config(
            region_name=region,
            signature_version="s3v4",
            s3={"addressing_style": "path" if path_style else "auto"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
        )
        self._client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    @property
    def client(self) -> S3Client:
        """Return the underlying boto3 client (for evidence tooling and tests; errors are not translated)."""
        return self._client

    # -- bucket ------------------------------------------------------------------------------------

    def ensure_bucket(self) -> BucketStatus:
        """Create the bucket (Object Lock + versioning) if missing; refuse one whose versioning is off."""
        created = False
        if not self._bucket_exists():
            self._create_bucket()
            created = True
        versioning = self._versioning_status()
        if versioning != "Enabled":
            raise StoreMisconfigured(self._versioning_off_message(versioning))
        return BucketStatus(
            bucket=self.bucket, created=created, versioning=versioning, object_lock=self._object_lock_on()
        )

    def check(self) -> None:
        """Raise ``StoreUnavailable`` unless the bucket answers with versioning enabled."""
        if not self._bucket_exists():
            raise StoreUnavailable(f"object store: bucket {self.bucket!r} does not exist")
        versioning = self._versioning_status()
        if versioning != "Enabled":
            raise StoreMisconfigured(self._versioning_off_message(versioning))

    def _versioning_off_message(self, status: str) -> str:
        shown = status or "never enabled"
        return (
            f"object store bucket {self.bucket!r} has versioning {shown}; undersign needs versioning Enabled "
            "so that no filed document can be overwritten. Fix: enable it "
            f"(aws s3api put-bucket-versioning --bucket {self.bucket} "
            "--versioning-configuration Status=Enabled) or configure a new bucket"
        )

    def _bucket_exists(self) -> bool:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code, _, status = _error_code(exc)
            if status == 404 or code in {"404", "NoSuchBucket", "NotFound"}:
                return False
            if status == 403:
                # HEAD answers carry no error body, so wrong credentials and a missing permission look
                # alike; a GET on the bucket tells them apart (and raises the precise domain error).
                self._versioning_status()
                return True
            raise translate_s3_error(exc, action="head bucket", bucket=self.bucket) from exc
        except BotoCoreError as exc:
            raise translate_s3_error(exc, action="head bucket", bucket=self.bucket) from exc
        return True

    def _create_bucket(self) -> None:
        params: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        if self.object_lock:
            try:
                # Object Lock on creation also turns versioning on.
                self._client.create_bucket(**params, ObjectLockEnabledForBucket=True)
                return
            except ClientError as exc:
                code, _, _ = _error_code(exc)
                if code not in _NO_OBJECT_LOCK_CODES:
                    raise translate_s3_error(exc, action="create bucket", bucket=self.bucket) from exc
            except BotoCoreError as exc:
                raise translate_s3_error(exc, action="create bucket", bucket=self.bucket) from exc
        with translate_s3_errors("create bucket", bucket=self.bucket):
            try:
                self._client.create_bucket(**params)
            except ClientError as exc:
                if _error_code(exc)[0] != "BucketAlreadyOwnedByYou":
                    raise
            self._client.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})

    def _versioning_status(self) -> str:
        with translate_s3_errors("get bucket versioning", bucket=self.bucket):
            return str(self._client.get_bucket_versioning(Bucket=self.bucket).get("Status", ""))

    def _object_lock_on(self) -> bool:
        try:
            config = self._client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError:
            return False  # ObjectLockConfigurationNotFoundError: the bucket has no Object Lock
        except BotoCoreError as exc:
            raise translate_s3_error(exc, action="get object lock", bucket=self.bucket) from exc
        return config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    # -- objects -----------------------------------------------------------------------------------

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        retention: Retention | None = None,
    ) -> StoredBlob:
        """Store ``data`` under ``key`` as a new version, checksummed with SHA-256."""
        digest = hashlib.sha256(data).digest()
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": data,
            "ContentType": content_type,
            "ChecksumAlgorithm": "SHA256",
            # Our own digest: the store recomputes it and refuses the write if the bytes differ.
            "ChecksumSHA256": base64.b64encode(digest).decode("ascii"),
        }
        if retention is not None:
            params.update(self._retention_params(retention))
        with translate_s3_errors("put", bucket=self.bucket, key=key):
            response = self._client.put_object(**params)
        version_id = response.get("VersionId")
        if not version_id or version_id == "null":
            raise StoreUnavailable(
                f"object store stored s3://{self.bucket}/{key} without a version id: "
                + self._versioning_off_message("not Enabled")
            )
        echoed = _b64_to_hex(response.get("ChecksumSHA256"))
        if echoed is not None and echoed != digest.hex():
            raise StoreUnavailable(
                f"object store reported SHA-256 {echoed} for s3://{self.bucket}/{key} but we sent {digest.hex()}"
            )
        return StoredBlob(bucket=self.bucket, key=key, version_id=version_id, sha256=digest.hex(), size=len(data))

    @staticmethod
    def _retention_params(retention: Retention) -> dict[str, Any]:
        if retention.mode not in _LOCK_MODES:
            raise InvalidInput(f"Object Lock mode must be COMPLIANCE or GOVERNANCE, not {retention.mode!r}")
        if retention.retain_until.tzinfo is None:
            raise InvalidInput("Object Lock retain-until must be timezone-aware")
        return {
            "ObjectLockMode": retention.mode,
            "ObjectLockRetainUntilDate": retention.retain_until.astimezone(UTC),
            "ObjectLockLegalHoldStatus": "ON" if retention.legal_hold else "OFF",
        }

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """Return the bytes of ``key`` (the exact ``version_id`` when given), checked against SHA-256."""
        with translate_s3_errors("get", bucket=self.bucket, key=key, version_id=version_id):
            response = self._client.get_object(**self._object_params(key, version_id), ChecksumMode="ENABLED")
            data = response["Body"].read()
        expected = _b64_to_hex(response.get("ChecksumSHA256"))
        if expected is not None and hashlib.sha256(data).hexdigest() != expected:
            raise StoreUnavailable(
                f"object store returned bytes for s3://{self.bucket}/{key} whose SHA-256 does not match "
                "the stored checksum; retry"
            )
        return data

    def get_stream(
        self, key: str, version_id: str | None = None, *, chunk_size: int = _STREAM_CHUNK
    ) -> Iterator[bytes]:
        """Return an iterator of chunks of ``key`` (a missing object raises here, before iterating).

        botocore validates the stored SHA-256 as the last chunk is read.
        """
        with translate_s3_errors("get", bucket=self.bucket, key=key, version_id=version_id):
            response = self._client.get_object(**self._object_params(key, version_id), ChecksumMode="ENABLED")
        return self._chunks(response["Body"], key=key, version_id=version_id, chunk_size=chunk_size)

    def _chunks(self, body: Any, *, key: str, version_id: str | None, chunk_size: int) -> Iterator[bytes]:
        try:
            with translate_s3_errors("get", bucket=self.bucket, key=key, version_id=version_id):
                while chunk := body.read(chunk_size):
                    yield chunk
        finally:
            body.close()

    def head(self, key: str, version_id: str | None = None) -> BlobInfo:
        """Return size, SHA-256 and Object Lock state of ``key`` (the exact version when given)."""
        with translate_s3_errors("head", bucket=self.bucket, key=key, version_id=version_id):
            response = self._client.head_object(**self._object_params(key, version_id), ChecksumMode="ENABLED")
        return BlobInfo(
            key=key,
            version_id=str(response.get("VersionId") or version_id or ""),
            size=int(response.get("ContentLength", 0)),
            sha256=_b64_to_hex(response.get("ChecksumSHA256")),
            content_type=response.get("ContentType"),
            last_modified=_utc(response.get("LastModified")),
            retention_mode=response.get("ObjectLockMode"),
            retain_until=_utc(response.get("ObjectLockRetainUntilDate")),
            legal_hold=response.get("ObjectLockLegalHoldStatus") == "ON",
        )

    def latest(self, key: str) -> StoredBlob | None:
        """Return the newest version of ``key`` (its SHA-256 as stored), or ``None`` when there is none."""
        try:
            info = self.head(key)
        except NotFound:
            return None
        sha256 = info.sha256 or hashlib.sha256(self.get(key, info.version_id)).hexdigest()
        return StoredBlob(bucket=self.bucket, key=key, version_id=info.version_id, sha256=sha256, size=info.size)

    def versions(self, key: str) -> list[str]:
        """Return the version ids stored under exactly ``key``, newest first."""
        with translate_s3_errors("list versions", bucket=self.bucket, key=key):
            response = self._client.list_object_versions(Bucket=self.bucket, Prefix=key)
        return [v["VersionId"] for v in response.get("Versions", []) if v.get("Key") == key]

    def delete_version(self, key: str, version_id: str) -> None:
        """Permanently delete one version; Object Lock makes the store refuse (``Conflict``) while locked."""
        with translate_s3_errors("delete", bucket=self.bucket, key=key, version_id=version_id):
            self._client.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Place (``on=True``) or lift a legal hold on one version."""
        with translate_s3_errors("legal hold", bucket=self.bucket, key=key, version_id=version_id):
            self._client.put_object_legal_hold(
                Bucket=self.bucket,
                Key=key,
                VersionId=version_id,
                LegalHold={"Status": "ON" if on else "OFF"},
            )

    def extend_retention(self, key: str, version_id: str, retention: Retention) -> None:
        """Set a later retain-until on one version (S3 refuses to shorten COMPLIANCE; callers only extend)."""
        params = self._retention_params(retention)
        with translate_s3_errors("retention", bucket=self.bucket, key=key, version_id=version_id):
            self._client.put_object_retention(
                Bucket=self.bucket,
                Key=key,
                VersionId=version_id,
                Retention={"Mode": params["ObjectLockMode"], "RetainUntilDate": params["ObjectLockRetainUntilDate"]},
            )

    def _object_params(self, key: str, version_id: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id is not None:
            params["VersionId"] = version_id
        return params
