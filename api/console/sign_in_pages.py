"""Signing in and out of the console: password (and code), single sign-on, and the set-password link.

Each route answers a refused sign-in with the form again and the reason; it does not raise, so the
request's unit of work commits the failure count and the audit record of the attempt. A successful
sign-in issues a new session cookie (any earlier one is ignored from then on) and drops the
pre-sign-in CSRF cookie.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.client_address import client_ip
from api.console import cookies
from api.console.templating import render
from api.deps import ConsoleSessionDep, OidcClientDep, RuntimeDep, SignInServiceDep, UserServiceDep
from domain.errors import DependencyUnavailable, Forbidden, InvalidInput, NotFound, Unauthenticated
from services.sign_in import OpenedSession, PasswordAccepted, Where

router = APIRouter()
_OIDC_COOKIE_AGE = 600


def _where(request: Request, runtime: RuntimeDep) -> Where:
    return Where(
        ip=client_ip(request, runtime.settings.server.trusted_proxies),
        user_agent=(request.headers.get("user-agent") or "")[:512] or None,
    )


def safe_next(target: str | None) -> str:
    """Return where to go after signing in: a console path of this site only (never another site)."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def _signed_in(request: Request, opened: OpenedSession, target: str | None) -> RedirectResponse:
    response = RedirectResponse(safe_next(target), status_code=303)
    max_age = int((opened.session.expires_at - opened.session.created_at).total_seconds())
    cookies.set_cookie(request, response, cookies.SESSION, opened.token, max_age=max_age)
    cookies.clear_cookie(request, response, cookies.ANON_CSRF)
    cookies.clear_cookie(request, response, cookies.SECOND_FACTOR)
    return response


def _sign_in_form(
    request: Request, runtime: RuntimeDep, *, status: int = 200, errors: list[str] | None = None, email: str = ""
) -> HTMLResponse:
    oidc = runtime.settings.console.oidc
    return render(
        request,
        "sign_in.html",
        status=status,
        title="Sign in",
        errors=errors or [],
        email=email,
        next=safe_next(request.query_params.get("next")),
        sso_label=oidc.label if oidc.configured else None,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, runtime: RuntimeDep, signed_in: ConsoleSessionDep) -> Response:
    """Show the sign-in form (or go on to the console when already signed in)."""
    if signed_in is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _sign_in_form(request, runtime)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    runtime: RuntimeDep,
    service: SignInServiceDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    """Check the e-mail address and password; then the code step, or the console."""
    try:
        outcome = service.sign_in(email, password, _where(request, runtime))
    except Unauthenticated as refused:
        return _sign_in_form(request, runtime, status=401, errors=[refused.detail], email=email)
    except Forbidden as refused:
        return _sign_in_form(request, runtime, status=403, errors=[refused.detail], email=email)
    if isinstance(outcome, PasswordAccepted):
        response = RedirectResponse(f"/console/sign-in/code?next={safe_next(next)}", status_code=303)
        cookies.set_cookie(request, response, cookies.SECOND_FACTOR, outcome.pending_token, max_age=300)
        return response
    return _signed_in(request, outcome, next)


def _code_form(request: Request, *, status: int = 200, errors: list[str] | None = None) -> HTMLResponse:
    return render(
        request,
        "sign_in_code.html",
        status=status,
        title="Enter your code",
        errors=errors or [],
        next=safe_next(request.query_params.get("next")),
    )


@router.get("/sign-in/code", response_class=HTMLResponse)
def code_page(request: Request) -> Response:
    """Ask for the code from the authenticator app (after a right password)."""
    if not request.cookies.get(cookies.SECOND_FACTOR):
        return RedirectResponse("/console/sign-in", status_code=303)
    return _code_form(request)


@router.post("/sign-in/code", response_class=HTMLResponse)
def code(
    request: Request,
    runtime: RuntimeDep,
    service: SignInServiceDep,
    code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    """Check the code and finish signing in."""
    try:
        opened = service.second_factor(request.cookies.get(cookies.SECOND_FACTOR, ""), code, _where(request, runtime))
    except Unauthenticated as refused:
        return _code_form(request, status=401, errors=[refused.detail])
    except Forbidden as refused:
        return _code_form(request, status=403, errors=[refused.detail])
    return _signed_in(request, opened, next)


@router.post("/sign-out")
def sign_out(request: Request, runtime: RuntimeDep, service: SignInServiceDep) -> Response:
    """End this browser's session and go back to the sign-in page."""
    service.sign_out(request.cookies.get(cookies.SESSION), _where(request, runtime))
    response = RedirectResponse("/console/sign-in", status_code=303)
    cookies.clear_cookie(request, response, cookies.SESSION)
    cookies.add_flash(request, response, "You are signed out.")
    return response


@router.get("/set-password/{token}", response_class=HTMLResponse)
def set_password_page(request: Request, token: str, users: UserServiceDep) -> HTMLResponse:
    """Show the form to choose a password (from an invitation or reset link)."""
    try:
        user = users.link_user(token)
    except NotFound as missing:
        return render(
            request,
            "error.html",
            status=404,
            title="Link not valid",
            heading="This link does not work",
            message=missing.detail,
        )
    return render(request, "set_password.html", title="Choose your password", user=user, errors=[])


@router.post("/set-password/{token}", response_class=HTMLResponse)
def set_password(
    request: Request,
    token: str,
    users: UserServiceDep,
    password: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Set the password; the link is used up and the person signs in with it."""
    try:
        users.set_password(token, password, confirm)
    except NotFound as missing:
        return render(
            request,
            "error.html",
            status=404,
            title="Link not valid",
            heading="This link does not work",
            message=missing.detail,
        )
    except InvalidInput as bad:
        user = users.link_user(token)
        return render(
            request, "set_password.html", status=422, title="Choose your password", user=user, errors=[bad.detail]
        )
    response = RedirectResponse("/console/sign-in", status_code=303)
    cookies.add_flash(request, response, "Your password is set. Sign in with it now.")
    return response


@router.get("/sign-in/sso")
def single_sign_on(request: Request, runtime: RuntimeDep, client: OidcClientDep) -> Response:
    """Send the browser to the MSP's identity provider (state, nonce and PKCE verifier kept in a cookie)."""
    if client is None:
        return _sign_in_form(request, runtime, status=404, errors=["Single sign-on is not set up here."])
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    try:
        target = client.authorization_url(
            _callback_url(request, runtime), state=state, nonce=nonce, code_verifier=verifier
        )
    except DependencyUnavailable as down:
        return _sign_in_form(request, runtime, status=503, errors=[down.detail])
    response = RedirectResponse(target, status_code=303)
    next_path = safe_next(request.query_params.get("next"))
    cookies.set_cookie(
        request, response, cookies.OIDC_STATE, f"{state}.{nonce}.{verifier}.{next_path}", max_age=_OIDC_COOKIE_AGE
    )
    return response


def _callback_url(request: Request, runtime: RuntimeDep) -> str:
    return f"{runtime.settings.server.public_url.rstrip('/')}/console/sign-in/sso/callback"


@router.get("/sign-in/sso/callback")
def single_sign_on_callback(
    request: Request, runtime: RuntimeDep, client: OidcClientDep, service: SignInServiceDep
) -> Response:
    """Finish single sign-on: check the state, verify the ID token, and sign the invited user in."""
    kept = request.cookies.get(cookies.OIDC_STATE, "").split(".", 3)
    params = request.query_params
    if client is None or len(kept) != 4 or not secrets.compare_digest(params.get("state", ""), kept[0]):
        return _sign_in_form(
            request, runtime, status=400, errors=["The sign-in could not be matched to this browser. Start again."]
        )
    if "code" not in params:
        return _sign_in_form(
            request, runtime, status=401, errors=["The sign-in was cancelled or refused by your provider."]
        )
    state_nonce, verifier, next_path = kept[1], kept[2], kept[3]
    try:
        identity = client.identity(
            params["code"], _callback_url(request, runtime), nonce=state_nonce, code_verifier=verifier
        )
        opened = service.single_sign_on(
            identity.email,
            identity.email_verified,
            runtime.settings.console.oidc.allowed_domain,
            _where(request, runtime),
        )
    except (Unauthenticated, Forbidden) as refused:
        response = _sign_in_form(request, runtime, status=refused.status, errors=[refused.detail])
        cookies.clear_cookie(request, response, cookies.OIDC_STATE)
        return response
    except DependencyUnavailable as down:
        return _sign_in_form(request, runtime, status=503, errors=[down.detail])
    done = _signed_in(request, opened, next_path)
    cookies.clear_cookie(request, done, cookies.OIDC_STATE)
    return done
