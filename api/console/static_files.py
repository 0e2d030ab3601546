"""The console's static files (htmx, the stylesheet), served from this package: no CDN, no build step."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Only these files are served: a path from the request never reaches the file system.
FILES = {"htmx.min.js", "console.css", "pages.css", "pages.js"}

router = APIRouter()


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    """Return one of the console's static files (cached for a day)."""
    if name not in FILES:
        raise HTTPException(404, "No such file.")
    path = STATIC / name
    return FileResponse(
        path,
        media_type=_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
