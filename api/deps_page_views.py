"""Page images for the signing page: read in a read-mostly transaction, the first delivery recorded in a write one.

A view is evidence only when the page was delivered, so each page's first delivery to a signer is
recorded. Browsers fetch several page images at once; on SQLite a read transaction that later
writes can fail when another request wrote first, so the image is read without writing and the
record is made in a transaction of its own that queues for the write lock (PostgreSQL locks the
envelope row either way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from api.deps import RuntimeDep
from api.deps_envelopes import KitDep, signing_service
from services.signing import Caller
from storage.database import unit_of_work

PageImages = Callable[[str, int, Caller], bytes]


def page_images(runtime: RuntimeDep, kit: KitDep, request: Request) -> PageImages:
    """Return a function that gives a signer one page image and records its first delivery."""

    def fetch(token: str, index: int, caller: Caller) -> bytes:
        with unit_of_work(runtime.sessions, read_mostly=True) as session:
            delivery = signing_service(session, runtime, kit, request).deliver_page(token, index)
        if delivery.first_delivery:
            with unit_of_work(runtime.sessions) as session:
                service = signing_service(session, runtime, kit, request)
                service.record_page_view(token, index, delivery.page_count, caller)
        return delivery.png

    return fetch


PageImagesDep = Annotated[PageImages, Depends(page_images)]
