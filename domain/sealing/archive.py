"""When a sealed file needs a fresh archive timestamp (PAdES B-LTA upkeep).

A B-LTA file stays verifiable as long as its newest timestamp can be validated: before that
timestamp's TSA certificate (or the seal's own certificate, while no archive timestamp protects it)
expires, a new archive timestamp must cover the file and the validation data gathered so far.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

# A TSA whose certificate was not renewed in time cannot help: look again a month later.
RETRY_AFTER = timedelta(days=30)


def archive_deadline(pdf: bytes) -> datetime | None:
    """Return when the certificates the newest timestamp relies on expire; ``None`` if nothing is timestamped."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        timestamps = reader.embedded_timestamp_signatures
        seals = reader.embedded_regular_signatures
    except (PdfError, ValueError, KeyError, TypeError):
        return None
    if timestamps:
        return timestamps[-1].signer_cert.not_valid_after
    if not seals:
        return None
    # Not archived yet: the seal's certificate and its signature timestamp's TSA certificate count.
    expiries = [seals[0].signer_cert.not_valid_after]
    unsigned = seals[0].signer_info["unsigned_attrs"]
    stamped = False
    for attribute in unsigned if unsigned.native is not None else []:
        if attribute["type"].native != "signature_time_stamp_token":
            continue
        for token in attribute["values"]:
            stamped = True
            for cert in token["content"]["certificates"] or []:
                if cert.name == "certificate" and not cert.chosen.ca:
                    expiries.append(cert.chosen.not_valid_after)
    return min(expiries) if stamped else None


def next_archive_due(pdf: bytes, now: datetime, margin: timedelta) -> datetime | None:
    """Return when to add the next archive timestamp: ``margin`` before the deadline, never in the past."""
    deadline = archive_deadline(pdf)
    if deadline is None:
        return None
    due = deadline - margin
    return due if due > now else now + RETRY_AFTER
