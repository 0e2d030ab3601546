"""The baseline of ``bench_signing_load.py``: bare FastAPI under uvicorn answering the ceremony's requests.

Same shapes as the signing pages, none of their work: ``GET /page`` returns a fixed HTML page,
``POST /form`` reads a form and answers 303 (``?next=0``) or 200, ``GET /png`` returns the bytes of
the file named by ``BENCH_RAW_PNG`` (a real page image of the benchmark's document). No database,
object store, templates or cookies: what uvicorn + FastAPI + the loopback cost at that concurrency.

Run by the benchmark: ``uvicorn raw_signing_app:app --app-dir bench --workers 2``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

app = FastAPI()
_PNG = Path(os.environ["BENCH_RAW_PNG"]).read_bytes() if os.environ.get("BENCH_RAW_PNG") else b""
# About the size of a signing page (the forms, the disclosure and the page list).
_PAGE = "<!doctype html><html><body>" + "<p>signing page</p>" * 400 + "</body></html>"


@app.get("/page", response_class=HTMLResponse)
def page() -> HTMLResponse:
    """A fixed HTML page."""
    return HTMLResponse(_PAGE, headers={"Cache-Control": "no-store"})


@app.post("/form", response_model=None)
def form(full_name: Annotated[str, Form()] = "", redirect: int = 0) -> Response:
    """Read a form; answer 303 to ``/page`` when ``redirect=1``, else a short page."""
    if redirect:
        return RedirectResponse("/page", status_code=303)
    return HTMLResponse(f"<p>thank you {len(full_name)}</p>")


@app.get("/png")
def png() -> Response:
    """The page image's bytes."""
    return Response(_PNG, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})
