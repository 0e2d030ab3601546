"""``SecretBox``: small secrets sealed at rest with AES-256-GCM under a key derived from the service key.

The console's authenticator-app (TOTP) secrets are the only such secrets: whoever reads the users
table (a backup, a replica, a support dump) must not be able to produce second-factor codes. The
AES key is derived with HKDF-SHA256 from the service's sealing private key (the one key the
deployment already guards), under a label that names this use, so no new secret has to be managed
and the seal key itself is never used for anything but signing.

A sealed value is ``v1:<key id>:<base64url(nonce || ciphertext || tag)>``. The associated data is the
owner's id (a user id): a sealed secret copied onto another user's row does not open. The key id
(8 hex characters of a hash of the derived key) lets a value sealed under another service key be
named as such instead of failing as "corrupt". A plain base32 TOTP secret never contains ``:``, so
:func:`is_sealed` tells sealed values from those written before sealing existed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.errors import DependencyUnavailable
from domain.sealing.keys import SealingKey

PREFIX = "v1"
# Names what the derived key is for: another use of the same service key must use another label.
LABEL = b"undersign console second-factor secrets v1"
NONCE_BYTES = 12


def is_sealed(value: str) -> bool:
    """Return whether ``value`` is a sealed secret (not a plain one stored before sealing)."""
    return value.startswith(f"{PREFIX}:")


def derive_key(key: SealingKey) -> bytes:
    """Return the 256-bit AES key for secrets at rest, derived (HKDF-SHA256) from the service's private key."""
    material = key.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LABEL).derive(material)


class SecretBox:
    """Seal and open small secrets; the key is derived on first use (loading the service key is not free)."""

    def __init__(self, service_key: Callable[[], SealingKey]) -> None:
        """Use the service key that ``service_key`` returns (called once, on the first seal or open)."""
        self._service_key = service_key
        self._aead: AESGCM | None = None
        self._key_id = ""
        self._lock = threading.Lock()

    def _cipher(self) -> tuple[AESGCM, str]:
        with self._lock:
            if self._aead is None:
                key = derive_key(self._service_key())
                self._aead = AESGCM(key)
                self._key_id = hashlib.sha256(b"key id:" + key).hexdigest()[:8]
            return self._aead, self._key_id

    def seal(self, plain: str, owner: str) -> str:
        """Return ``plain`` sealed for ``owner`` (a fresh random nonce each time)."""
        aead, key_id = self._cipher()
        nonce = os.urandom(NONCE_BYTES)
        sealed = aead.encrypt(nonce, plain.encode("utf-8"), owner.encode("utf-8"))
        return f"{PREFIX}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, value: str, owner: str) -> str:
        """Return the plain secret of a sealed ``value`` of ``owner``; refuse one that does not open."""
        aead, key_id = self._cipher()
        prefix, stored_id, data = [*value.split(":", 2), "", ""][:3]
        if prefix != PREFIX:
            raise DependencyUnavailable("A stored second-factor secret is not sealed: run `undersign db upgrade`.")
        if stored_id != key_id:
            raise DependencyUnavailable(
                "A stored second-factor secret was sealed under another service key: configure that key again "
                "(the secrets cannot be read without it)."
            )
        try:
            raw = base64.urlsafe_b64decode(data.encode("ascii"))
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.encode("utf-8")).decode("utf-8")
        except Exception as exc:  # InvalidTag, bad base64: the stored value was changed or moved
            raise DependencyUnavailable("A stored second-factor secret does not open: it was changed.") from exc
