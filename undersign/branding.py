"""The MSP's branding as documents print it, read from settings (the logo file is read here, once)."""

from __future__ import annotations

from pathlib import Path

from domain.assembly.context import Branding
from domain.assembly.paper import Paper
from domain.errors import FieldError, InvalidInput
from domain.signature_image import SignatureImageError, normalise_facsimile
from undersign.settings import Settings

_FACSIMILE_SETTING = "UNDERSIGN_DUNNING__SIGNATURE_IMAGE_PATH"


def facsimile_signature(path: Path | None) -> bytes | None:
    """Read and check the billing contact's facsimile signature file; refuse one that cannot be used.

    The file is judged with the limits of a drawn signature (size, pixels) and re-encoded small, so
    a start-up with a wrong file stops with a message that names the setting and what is wrong.
    """
    if path is None:
        return None
    try:
        return normalise_facsimile(path.read_bytes())
    except (OSError, SignatureImageError) as exc:
        reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
        raise InvalidInput(
            "The notice signature image cannot be used; fix or unset the setting.",
            errors=[FieldError(_FACSIMILE_SETTING, f"{path}: {reason}")],
        ) from exc


def branding_from_settings(settings: Settings) -> Branding:
    """Build the document branding from settings, reading the logo file if one is configured."""
    logo = settings.branding.logo_path
    media_type = "image/svg+xml" if logo and logo.suffix.lower() == ".svg" else "image/jpeg"
    if logo and logo.suffix.lower() == ".png":
        media_type = "image/png"
    return Branding(
        msp_name=settings.branding.msp_name,
        address=settings.branding.msp_address,
        primary_colour=settings.branding.primary_colour,
        paper=None if settings.branding.paper == "auto" else Paper(settings.branding.paper),
        logo=logo.read_bytes() if logo else None,
        logo_media_type=media_type,
        sender_signature=facsimile_signature(settings.dunning.signature_image_path),
    )
