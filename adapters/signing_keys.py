"""Where the sealing key comes from: a development PKI under the data dir, or the MSP's PKCS#12 file.

Development: on first start a local CA and sealing certificate are generated into
``<data_dir>/pki/`` (private key readable by the owner only) and reloaded on every later start.
Several workers may start at once, so the PKI is written to a private temporary directory and
moved into place with one atomic rename: the first one wins and the others load its files.
Production: the key, certificate and chain are read from a PKCS#12 file and its password.
Both return the :class:`~domain.sealing.keys.SealingKey` the domain ``Sealer`` needs.
The TSA client the ``Sealer`` takes is built here too (:func:`timestamper_for_url`).
"""

from __future__ import annotations

import asyncio
import http.client
import os
import secrets
import shutil
import ssl
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import tsp
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError

from domain.errors import FieldError, InvalidInput
from domain.sealing.keys import (
    DEV_VALIDITY,
    SealingKey,
    generate_dev_pki,
    load_pem_sealing_key,
    load_pkcs12_sealing_key,
)

PKI_DIR = "pki"
CA_CERT_FILE = "ca.pem"
SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal.key.pem"
MAX_TSA_REPLY = 1024 * 1024


@dataclass(frozen=True)
class DevSealingMaterial:
    """The development sealing key and where it lives; ``created`` is true on the start that made it."""

    key: SealingKey
    directory: Path
    created: bool


def _write_private(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL + explicit mode: the key is never, even briefly, readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _load_dev(directory: Path) -> SealingKey:
    return load_pem_sealing_key(
        (directory / SEAL_KEY_FILE).read_bytes(),
        (directory / SEAL_CERT_FILE).read_bytes(),
        (directory / CA_CERT_FILE).read_bytes(),
    )


def load_or_create_dev_sealing_key(
    data_dir: Path, now: datetime, *, organisation: str = "undersign development", retention_years: int = 0
) -> DevSealingMaterial:
    """Return the development sealing key under ``data_dir/pki``, generating it on first use.

    A new certificate outlives ``retention_years`` (and at least the default validity), so nothing
    sealed in development outlives its seal's certificate.
    """
    directory = data_dir / PKI_DIR
    if (directory / SEAL_KEY_FILE).exists():
        return DevSealingMaterial(key=_load_dev(directory), directory=directory, created=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    validity = max(DEV_VALIDITY, timedelta(days=366 * (retention_years + 1)))
    pki = generate_dev_pki(now, organisation=organisation, validity=validity)
    staging = data_dir / f".{PKI_DIR}-{secrets.token_hex(8)}"
    staging.mkdir(mode=0o700)
    try:
        _write_private(staging / CA_CERT_FILE, pki.ca_certificate_pem, 0o644)
        _write_private(staging / SEAL_CERT_FILE, pki.seal_certificate_pem, 0o644)
        _write_private(staging / SEAL_KEY_FILE, pki.seal_key_pem, 0o600)
        try:
            staging.rename(directory)
        except OSError:
            # Another worker renamed its PKI into place first (or an empty pki/ exists): use what is there.
            if not (directory / SEAL_KEY_FILE).exists():
                raise
            return DevSealingMaterial(key=_load_dev(directory), directory=directory, created=False)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return DevSealingMaterial(key=pki.sealing_key(), directory=directory, created=True)


def load_pkcs12_file(path: Path, password: str | bytes | None) -> SealingKey:
    """Load the production sealing key from a PKCS#12 file protected by ``password``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            "The sealing PKCS#12 file cannot be read.", errors=[FieldError("pkcs12_path", exc.strerror or str(exc))]
        ) from exc
    secret = password.encode("utf-8") if isinstance(password, str) else password
    return load_pkcs12_sealing_key(data, secret)


class UrllibTimeStamper(TimeStamper):
    """RFC 3161 over HTTP with the standard library, TLS context built once.

    pyHanko's aiohttp ``HTTPTimeStamper`` opens a new session per token, and each session loads the
    system CA bundle again (~80 ms here); this client keeps one ``SSLContext`` and runs the POST in a
    worker thread. Failures raise pyHanko's ``TimestampRequestError`` (the Sealer turns any failure
    into ``TimestampUnavailable``).
    """

    def __init__(self, url: str, *, timeout: float = 10.0, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout
        self._headers = {**(headers or {}), "Content-Type": "application/timestamp-query"}
        self._ssl = ssl.create_default_context() if url.startswith("https://") else None

    def _post(self, body: bytes) -> bytes:
        request = urllib.request.Request(self.url, data=body, headers=self._headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl) as response:  # noqa: S310
                content_type = response.headers.get("Content-Type", "")
                data = response.read(MAX_TSA_REPLY + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise TimestampRequestError(f"timestamp request to {self.url} failed: {exc}") from exc
        if content_type != "application/timestamp-reply" or len(data) > MAX_TSA_REPLY:
            raise TimestampRequestError(f"timestamp server answered {content_type!r} ({len(data)} bytes)")
        return data

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """POST ``req`` to the TSA and return its parsed response."""
        data = await asyncio.to_thread(self._post, req.dump())
        return tsp.TimeStampResp.load(data)


def timestamper_for_url(url: str, *, timeout: float = 10.0) -> TimeStamper:
    """Return the RFC 3161 client for the configured TSA ``url`` (HTTP POST, application/timestamp-query)."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("The timestamp authority URL must be http(s).", errors=[FieldError("tsa_url", url)])
    return UrllibTimeStamper(url, timeout=timeout)
