"""Time zones in the words a client uses: "Pacific Time (Vancouver)", not "America/Vancouver".

Contracts state the zone coverage hours are counted in; the IANA identifier is exact but reads like a
file path. Common zones of the places MSP clients are in get their everyday name; any other zone
prints as the local time of its city.
"""

from __future__ import annotations

_NAMES = {
    "America/Vancouver": "Pacific Time",
    "America/Los_Angeles": "Pacific Time",
    "America/Edmonton": "Mountain Time",
    "America/Denver": "Mountain Time",
    "America/Phoenix": "Mountain Standard Time",
    "America/Regina": "Central Standard Time",
    "America/Winnipeg": "Central Time",
    "America/Chicago": "Central Time",
    "America/Toronto": "Eastern Time",
    "America/New_York": "Eastern Time",
    "America/Halifax": "Atlantic Time",
    "America/St_Johns": "Newfoundland Time",
    "America/Anchorage": "Alaska Time",
    "Pacific/Honolulu": "Hawaii Time",
    "Europe/London": "UK time (GMT, or BST in summer)",
    "Europe/Dublin": "Irish time (GMT, or IST in summer)",
    "Europe/Paris": "Central European Time",
    "Europe/Berlin": "Central European Time",
    "Australia/Sydney": "Australian Eastern Time",
    "Pacific/Auckland": "New Zealand Time",
    "UTC": "Coordinated Universal Time (UTC)",
}


def zone_name(value: object) -> str:
    """Return the plain name of an IANA zone: ``America/Chicago`` -> ``Central Time (Chicago)``."""
    zone = str(value).strip()
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    name = _NAMES.get(zone)
    if name is None:
        return f"local time in {city}" if "/" in zone else zone
    return name if zone == "UTC" or "(" in name else f"{name} ({city})"
