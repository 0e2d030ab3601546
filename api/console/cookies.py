"""The console's cookies: the session, the pre-sign-in CSRF secret, the code step, and flash messages.

Every cookie is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (another site's form cannot post
with it; following a link from an e-mail still arrives signed in) and ``Secure`` when the request
came over HTTPS. The session cookie holds a random id; the server keeps only its SHA-256.
"""

from __future__ import annotations

import base64
import json
import secrets

from fastapi import Request, Response

from api.console_access import ANON_CSRF_COOKIE, SESSION_COOKIE

SESSION = SESSION_COOKIE
ANON_CSRF = ANON_CSRF_COOKIE
SECOND_FACTOR = "undersign_console_code"
OIDC_STATE = "undersign_console_oidc"
FLASH = "undersign_console_flash"
PATH = "/console"
_FLASH_MAX = 600


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None) -> None:
    """Set one of the console's cookies with the console's safety attributes."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    """Remove one of the console's cookies."""
    response.delete_cookie(name, path=PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https")


def anonymous_csrf(request: Request) -> str:
    """Return the CSRF secret of a browser that is not signed in (created on first use of this request)."""
    existing = getattr(request.state, "anon_csrf", None) or request.cookies.get(ANON_CSRF, "")
    token = existing if 32 <= len(existing) <= 64 and existing.replace("-", "").replace("_", "").isalnum() else ""
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.anon_csrf_new = True
    request.state.anon_csrf = token
    return token


def keep_anonymous_csrf(request: Request, response: Response) -> None:
    """Give the browser its pre-sign-in CSRF secret when this request created one."""
    if getattr(request.state, "anon_csrf_new", False):
        set_cookie(request, response, ANON_CSRF, request.state.anon_csrf, max_age=12 * 3600)


def add_flash(request: Request, response: Response, message: str, *, error: bool = False) -> None:
    """Show ``message`` once on the next page (after a redirect)."""
    data = json.dumps({"m": message[:_FLASH_MAX], "e": error}).encode()
    set_cookie(request, response, FLASH, base64.urlsafe_b64encode(data).decode(), max_age=300)


def take_flash(request: Request) -> tuple[str, bool] | None:
    """Return the flash message the previous response left (message, is-error), or ``None``."""
    raw = request.cookies.get(FLASH)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return str(data["m"])[:_FLASH_MAX], bool(data["e"])
    except (ValueError, KeyError, TypeError):
        return None
