"""The MSP's branding as documents print it, read from settings (the logo file is read here, once)."""

from __future__ import annotations

from domain.assembly.context import Branding
from domain.assembly.paper import Paper
from undersign.settings import Settings


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
    )
