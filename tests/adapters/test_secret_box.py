"""``SecretBox``: authenticator secrets sealed with AES-GCM under a key derived from the service key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.secret_box import SecretBox, is_sealed
from domain.errors import DependencyUnavailable
from domain.sealing.keys import SealingKey, generate_dev_pki

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(scope="module")
def service_key() -> SealingKey:
    """A development sealing key (the service key the box derives from)."""
    return generate_dev_pki(datetime(2026, 12, 1, tzinfo=UTC)).sealing_key()


class TestSecretBox:
    def test_sealed_value_holds_no_plain_secret_and_opens_for_its_owner(self, service_key: SealingKey) -> None:
        """A sealed secret shows nothing of the secret, differs each time, and opens back for the same user."""
        box = SecretBox(lambda: service_key)
        first, second = box.seal(SECRET, "user-1"), box.seal(SECRET, "user-1")
        assert is_sealed(first) and not is_sealed(SECRET)
        assert SECRET not in first and SECRET.lower() not in first.lower() and first != second
        assert box.open(first, "user-1") == SECRET == box.open(second, "user-1")

    def test_secret_copied_to_another_user_does_not_open(self, service_key: SealingKey) -> None:
        """The owner is the associated data: a sealed secret moved to another user's row is refused."""
        box = SecretBox(lambda: service_key)
        with pytest.raises(DependencyUnavailable, match="does not open"):
            box.open(box.seal(SECRET, "user-1"), "user-2")

    def test_secret_sealed_under_another_service_key_is_named_as_such(self, service_key: SealingKey) -> None:
        """Another service key cannot open it, and the refusal says why (not "corrupt")."""
        other = generate_dev_pki(datetime(2026, 12, 1, tzinfo=UTC)).sealing_key()
        sealed = SecretBox(lambda: other).seal(SECRET, "user-1")
        with pytest.raises(DependencyUnavailable, match="another service key"):
            SecretBox(lambda: service_key).open(sealed, "user-1")

    def test_changed_ciphertext_is_refused(self, service_key: SealingKey) -> None:
        """One changed character of the stored value makes it refuse to open (GCM's tag)."""
        box = SecretBox(lambda: service_key)
        sealed = box.seal(SECRET, "user-1")
        flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
        with pytest.raises(DependencyUnavailable):
            box.open(flipped, "user-1")
