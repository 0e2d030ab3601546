"""Page images of sent PDFs: rendered once per PDF by a task, stored in the object store, served from there.

The render task (``render-page-images``) reads the sent PDF, renders its pages with ``pdftoppm``, puts
one PNG per page under ``pages/<sha256>/<n>.png`` and then marks the PDF ready in the database. No
database connection is held while it reads, renders or writes the store. Run twice, the second run
finds the PDF ready and does nothing (a crash before the mark renders again, harmlessly).
"""

from __future__ import annotations

import hashlib

from domain.envelopes import page_image_key
from domain.errors import Conflict
from storage.page_image_repository import is_ready, mark_ready
from undersign.runtime import Runtime


def render_and_store(runtime: Runtime, sha256: str, key: str, version_id: str | None) -> int:
    """Render and store the page images of the sent PDF ``sha256``; return its page count."""
    if is_ready(runtime.sessions, sha256):
        return 0
    pdf = runtime.blob_store.get(key, version_id)
    if hashlib.sha256(pdf).hexdigest() != sha256:
        raise Conflict(f"The stored file {key} is not the sent document {sha256}; its pages were not rendered.")
    pngs = runtime.kit.pages.pages(sha256, lambda: pdf)
    for index, png in enumerate(pngs):
        runtime.blob_store.put(page_image_key(sha256, index), png, content_type="image/png")
    mark_ready(runtime.sessions, sha256, len(pngs), runtime.clock.now())
    return len(pngs)


def page_image(runtime: Runtime, sha256: str, index: int) -> bytes:
    """Return the stored PNG of page ``index`` (0-based) of the sent PDF ``sha256`` (from memory once served)."""
    key = page_image_key(sha256, index)
    return runtime.page_image_cache.get(key, lambda: runtime.blob_store.get(key))
