"""Where the sealing key comes from: a development PKI under the data dir, or the MSP's PKCS#12 file.

Development: on first start a local CA and sealing certificate are generated into
``<data_dir>/pki/`` (private key readable by the owner only) and reloaded on every later start.
Several workers may start at once, so the PKI is written to a private temporary directory and
moved into place with one atomic rename: the first one wins and the others load its files.
Production: the key, certificate and chain are read from a PKCS#12 file and its password.
Both return the :class:`~undersign.domain.sealing.keys.SealingKey` the domain ``Sealer`` needs.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from undersign.domain.errors import FieldError, InvalidInput
from undersign.domain.sealing.keys import SealingKey, generate_dev_pki, load_pem_sealing_key, load_pkcs12_sealing_key

PKI_DIR = "pki"
CA_CERT_FILE = "ca.pem"
SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal.key.pem"


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
    data_dir: Path, now: datetime, *, organisation: str = "undersign development"
) -> DevSealingMaterial:
    """Return the development sealing key under ``data_dir/pki``, generating it on first use."""
    directory = data_dir / PKI_DIR
    if (directory / SEAL_KEY_FILE).exists():
        return DevSealingMaterial(key=_load_dev(directory), directory=directory, created=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    pki = generate_dev_pki(now, organisation=organisation)
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


def timestamper_for_url(url: str, *, timeout: float = 10.0) -> TimeStamper:
    """Return the RFC 3161 client for the configured TSA ``url`` (HTTP POST, application/timestamp-query)."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("The timestamp authority URL must be http(s).", errors=[FieldError("tsa_url", url)])
    return HTTPTimeStamper(url, timeout=timeout)
