"""The service key that signs audit checkpoints: the same key and certificate that seal documents.

Production reads the PKCS#12 file named by the settings; development uses (or creates) the dev
PKI under the data dir. The key is loaded once per process and source, not per request.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from adapters.signing_keys import load_or_create_dev_sealing_key, load_pkcs12_file
from domain.sealing.keys import SealingKey
from undersign.settings import Settings

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str], SealingKey] = {}


def service_key(settings: Settings, now: datetime) -> SealingKey:
    """Return the service's signing key for ``settings`` (PKCS#12 in production, dev PKI otherwise)."""
    path: Path | None = settings.signing.pkcs12_path
    source = ("pkcs12", str(path.resolve())) if path else ("dev", str(settings.data_dir.resolve()))
    with _LOCK:
        cached = _CACHE.get(source)
        if cached is not None:
            return cached
        if path is not None:
            key = load_pkcs12_file(path, settings.signing.pkcs12_password.get_secret_value())
        else:
            key = load_or_create_dev_sealing_key(settings.data_dir, now).key
        _CACHE[source] = key
        return key
